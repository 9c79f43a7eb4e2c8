/**
 * `TucoWebhook`, the construct (for cdktf and cdktn alike, see core-library.ts): it builds a
 * webhook's declaration from its props, checks it with the one declaration check (synthesis fails
 * naming the construct, the field, the value and the fix), and synthesizes the resources whose
 * provisioners run the CLI (see contract.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Construct } from "constructs";
import { showValue } from "../private/text";
import { InvalidDeclarationError, checkDeclaration, type WebhookDeclaration } from "../webhook/declaration";
import type { HealthCheckPolicy } from "../webhook/health";
import type { Problem } from "../webhook/problems";
import { DECLARATION_ENV, INSTANCE_ENV, INSTANCE_TRIGGER, MAX_ENV_ENTRY_BYTES, WEBHOOK_TRIGGER, commands, envEntryBytes, selfInstanceReference, webhookTriggerJson } from "./contract";
import type { CoreLibrary, TerraformResourceLike } from "./core-library";
import type { TucoWebhookPruneClass } from "./prune";
import { provisioners, triggersFieldOf, tucoCliPath, type TucoWebhookResourceType } from "./resources";
import type { TucoStackInstanceClass } from "./stack-instance";

/** Context key of the stack-wide default age recipients (a list of `age1...`, or one comma-separated string). */
export const RECIPIENTS_CONTEXT = "tuco-webhooks:recipients";
/** Properties of a `TucoWebhook`. */
export interface TucoWebhookProps {
  /** The webhook's name in Tuco (need not be unique: ownership is kept in a marker, not the name). */
  readonly name: string;
  /** The https:// address that receives the events (http:// only for localhost). */
  readonly url: string;
  /** The events to deliver, e.g. `["message.sent", "message.failed"]`. Order and duplicates do not matter. */
  readonly events: string[];
  /**
   * A description. The ownership marker is appended to it in the API.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Whether Tuco delivers events to the webhook.
   * @default true
   */
  readonly isActive?: boolean;
  /**
   * What a failed health-check (the signed test ping after every apply) does: fail the apply, warn, or skip the check.
   * Under "fail", a webhook created by this apply is deleted again.
   * @default "fail"
   */
  readonly healthCheck?: HealthCheckPolicy;
  /**
   * The age X25519 recipients (`age1...`) the one-time secret is sealed to.
   * @default - the `tuco-webhooks:recipients` context value (cdktf.json "context", or `node.setContext`); synthesis fails without either
   */
  readonly recipients?: string[];
  /**
   * Where the sealed secret is written (made absolute at synthesis, relative to the working directory).
   * @default - `<working directory at synth>/sealed-secrets/<stack>/<key>.age`
   */
  readonly sealedSecretPath?: string;
  /**
   * Take over this existing webhook instead of creating one (after a lost Terraform state, or a
   * webhook made by hand): apply marks it as this stack's and patches it to match. Its secret is
   * unknown unless `sealedSecretPath` already holds it. Refused for a webhook another stack, key
   * or a Pulumi stack owns.
   * @default - create a new webhook when the stack owns none under this key
   */
  readonly adoptId?: string;
  /**
   * The Terraform resource that carries the provisioners. Both types run the same commands. Under
   * CDK Terrain (cdktn), which has no hashicorp/null bindings, only "terraform_data".
   * @default - the `tuco-webhooks:resourceType` context value, else "null_resource" under cdktf and "terraform_data" under cdktn
   */
  readonly resourceType?: TucoWebhookResourceType;
}

/** The construct's key within its stack: its path below the stack, restricted to [A-Za-z0-9._/-]. */
function keyOf(scope: Construct, stack: Construct): string {
  const below = scope.node.scopes.slice(stack.node.scopes.length).map((s) => s.node.id);
  return below.join("/").replace(/[^A-Za-z0-9._/-]/g, "_");
}

/** One name of a path as a file name that stays where it is put: "", "." and ".." become "_". */
function safeSegment(name: string): string {
  return name === "" || name === "." || name === ".." ? "_" : name;
}

/** The default sealed-secret path, `sealed-secrets/<stack>/<key>.age`, never outside `sealed-secrets/<stack>/` whatever the ids. */
function defaultSealPath(stack: string, key: string): string {
  const folder = path.resolve("sealed-secrets", safeSegment(stack.replace(/[/\\]/g, "_")));
  const file = path.resolve(folder, `${key.split("/").map(safeSegment).join("/")}.age`);
  if (!file.startsWith(folder + path.sep)) throw new RangeError(`the sealed-secret path of key ${JSON.stringify(key)} would leave ${folder}`);
  return file;
}

/** Every sealed-secret path of an app, with the construct that writes it: two webhooks sealing to one file would overwrite each other's secret. */
const SEAL_PATHS = new WeakMap<object, Map<string, string>>();

const RECIPIENTS_HOW_TO =
  `Set the "recipients" prop to ["age1..."], or the stack-wide default: "context": {"${RECIPIENTS_CONTEXT}": ["age1..."]} in cdktf.json, ` +
  `or app.node.setContext("${RECIPIENTS_CONTEXT}", ["age1..."]). Create a key pair with \`age-keygen -o key.txt\`.`;

/**
 * The recipients from the prop, else the context (a list, or one comma-separated string), or the
 * construct's own problem with them: none at all, not a list, an empty list. Each entry is then
 * checked by the declaration check, like `tuco-webhooks apply` checks it.
 */
function recipientsOf(scope: Construct, prop: unknown): { value: unknown; fromContext: boolean } | { problem: Problem } {
  const given = prop !== undefined && prop !== null;
  let value: unknown = prop;
  if (!given) {
    value = scope.node.tryGetContext(RECIPIENTS_CONTEXT);
    if (typeof value === "string") value = value.split(/[\s,]+/).filter((r) => r !== "");
  }
  const problem = (message: string) => ({ problem: { field: "recipients", value, message } });
  if (value === undefined || value === null) {
    return problem(`no age recipients to seal its one-time secret to (a webhook whose secret is thrown away is useless). ${RECIPIENTS_HOW_TO}`);
  }
  if (given && !Array.isArray(value)) return problem(`recipients ${showValue(value)} must be a list of age1... public keys, got ${typeof value}. ${RECIPIENTS_HOW_TO}`);
  if (Array.isArray(value) && value.length === 0) {
    return problem(`${given ? "recipients" : `the "${RECIPIENTS_CONTEXT}" context value`} [] is empty: no one could read a secret sealed to no one. ${RECIPIENTS_HOW_TO}`);
  }
  return { value, fromContext: !given };
}

function rejectTokens(subject: string, props: TucoWebhookProps, isUnresolved: (value: unknown) => boolean): void {
  for (const [field, value] of Object.entries(props)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (values.some(isUnresolved)) {
      throw new InvalidDeclarationError(subject, [
        { field, value: "(token)", message: `${field} is a Terraform token (a value known only at apply time): pass a literal known at synthesis, because the provisioners and the drift check read it from the synthesized JSON` },
      ]);
    }
  }
}

/**
 * A Tuco webhook managed by Terraform through provisioners that run the `tuco-webhooks` CLI.
 *
 * It synthesizes one resource whose triggers hold the desired state (never a secret). Any change
 * replaces the Terraform object create-before-destroy, which runs only the create command:
 * `tuco-webhooks apply` finds the webhook by its ownership marker and PATCHes it in place, so its
 * id and secret survive. A webhook that leaves the program is deleted by the stack's prune
 * resource (see `TucoWebhookPrune`). The construct's path is the webhook's key: renaming it
 * replaces the webhook (new id, new secret).
 */
export interface TucoWebhook<Resource extends TerraformResourceLike> extends Construct {
  /** The stack name written into the ownership marker. */
  readonly stackName: string;
  /** The key written into the ownership marker: the construct's path within its stack. */
  readonly key: string;
  /** Absolute path of the sealed secret file. */
  readonly sealedSecretPath: string;
  /** What the provisioners apply (the JSON in the triggers and in TUCO_WEBHOOK_SPEC). */
  readonly declaration: WebhookDeclaration;
  /** The Terraform resource that carries the provisioners. */
  readonly resource: Resource;
}

/** The `TucoWebhook` class of one core library. */
export interface TucoWebhookClass<Resource extends TerraformResourceLike> {
  new (scope: Construct, id: string, props: TucoWebhookProps): TucoWebhook<Resource>;
  readonly prototype: TucoWebhook<Resource>;
}

/** Defines `TucoWebhook` over `library`, with its stack's prune and instance resources made by `Prune` and `Instance`. */
export function defineTucoWebhook<Stack extends Construct, Resource extends TerraformResourceLike>(
  library: CoreLibrary<Stack, Resource>,
  Prune: TucoWebhookPruneClass<Stack, Resource>,
  Instance: TucoStackInstanceClass<Stack, Resource>,
): TucoWebhookClass<Resource> {
  const { Annotations, TerraformStack, Token } = library.module;
  return class TucoWebhook extends Construct {
    readonly stackName: string;
    readonly key: string;
    readonly sealedSecretPath: string;
    readonly declaration: WebhookDeclaration;
    readonly resource: Resource;

    constructor(scope: Construct, id: string, props: TucoWebhookProps) {
      super(scope, id);
      const stack = TerraformStack.of(this);
      const subject = JSON.stringify(this.node.path);
      const notAStack = library.problemWithStack(stack, "stack");
      if (notAStack) throw new InvalidDeclarationError(subject, [notAStack]);
      rejectTokens(subject, props, (v) => Token.isUnresolved(v));
      this.stackName = stack.node.id;
      this.key = keyOf(this, stack);
      Prune.checkKeyIsFree(stack, this.node.path, id, this.key);

      const recipients = recipientsOf(this, props.recipients);
      const resourceType = library.resourceTypeOf(this, props.resourceType);
      const checked = checkDeclaration(
        {
          stack: this.stackName,
          key: this.key,
          name: props.name,
          url: props.url,
          events: props.events,
          description: props.description,
          isActive: props.isActive,
          healthCheck: props.healthCheck,
          seal: { recipients: "value" in recipients ? recipients.value : [], path: props.sealedSecretPath ?? defaultSealPath(this.stackName, this.key) },
          adoptId: props.adoptId,
        },
        { recipients: "recipients", sealPath: "sealedSecretPath" },
      );
      // The construct's own advice on the shared check's problems, and its own checks.
      const problems: Problem[] = checked.problems
        .filter((p) => !("problem" in recipients && p.field.startsWith("recipients")))
        .map((p) => {
          if (p.field === "stack" || p.field === "key") return { ...p, message: `${p.message} (the stack name and the construct path form the ownership marker)` };
          if (p.field === "sealedSecretPath") return { ...p, message: `${p.message} (or leave it out for sealed-secrets/<stack>/<key>.age)` };
          if (p.field.startsWith("recipients") && "fromContext" in recipients && recipients.fromContext) {
            return { ...p, message: `${p.message} (They came from the "${RECIPIENTS_CONTEXT}" context value.)` };
          }
          return p;
        });
      if ("problem" in recipients) problems.push(recipients.problem);
      if (typeof resourceType !== "string") problems.push(resourceType);
      const json = checked.value && webhookTriggerJson(checked.value);
      const envBytes = json === undefined ? 0 : envEntryBytes(DECLARATION_ENV, json);
      if (envBytes > MAX_ENV_ENTRY_BYTES) {
        problems.push({
          field: "declaration",
          value: `(${envBytes} bytes)`,
          message:
            `declaration is ${envBytes} bytes as the provisioner's ${DECLARATION_ENV}, more than one environment variable can carry ` +
            `(${MAX_ENV_ENTRY_BYTES} bytes on Linux, MAX_ARG_STRLEN): seal to fewer recipients, or shorten the description, url or sealedSecretPath`,
        });
      }
      const sealedBy = SEAL_PATHS.get(this.node.root) ?? new Map<string, string>();
      SEAL_PATHS.set(this.node.root, sealedBy);
      const twin = checked.value && sealedBy.get(checked.value.seal.path);
      if (twin) {
        problems.push({
          field: "sealedSecretPath",
          value: checked.value!.seal.path,
          message: `sealedSecretPath ${JSON.stringify(checked.value!.seal.path)} is also where ${twin} seals its secret: each webhook's secret needs its own file, give one of them another sealedSecretPath`,
        });
      }
      if (checked.value === undefined || json === undefined || problems.length > 0 || typeof resourceType !== "string") throw new InvalidDeclarationError(subject, problems);
      sealedBy.set(checked.value.seal.path, subject);

      this.declaration = checked.value;
      this.sealedSecretPath = checked.value.seal.path;
      const cli = tucoCliPath();
      if (!fs.existsSync(cli)) {
        Annotations.of(this).addWarning(`The tuco-webhooks CLI is not built at ${cli}: run \`npm run build\` before terraform apply.`);
      }
      const instance = Instance.of(stack, resourceType);
      const self = { [INSTANCE_ENV]: selfInstanceReference(triggersFieldOf(resourceType)) };
      this.resource = library.makeResource(
        this,
        "Default",
        resourceType,
        { [WEBHOOK_TRIGGER]: json, [INSTANCE_TRIGGER]: instance.id },
        provisioners(commands.apply(cli), { [DECLARATION_ENV]: json, ...self }, commands.delete(cli, this.stackName, this.key), self),
      );
      Prune.of(stack, resourceType).register(this);
    }
  };
}
