/**
 * `TucoWebhook`, the CDKTF construct: it builds a webhook's declaration from its props, checks it
 * with the one declaration check (synthesis fails naming the construct, the field, the value and
 * the fix), and synthesizes the resources whose provisioners run the CLI (see contract.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Annotations, DataResource, Lazy, TerraformProvider, TerraformResource, TerraformStack, Token, type LocalExecProvisioner } from "cdktf";
import { Construct } from "constructs";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { TucoError } from "../api/errors";
import { showValue } from "../private/text";
import { InvalidDeclarationError, checkDeclaration, type WebhookDeclaration } from "../webhook/declaration";
import type { HealthCheckPolicy } from "../webhook/health";
import { checkOwnerPart } from "../webhook/ownership";
import type { Problem } from "../webhook/problems";
import { PRUNE_ID, PRUNE_TRIGGER, SPEC_ENV, WEBHOOK_TRIGGER, commands, pruneJson, webhookTriggerJson } from "./contract";

/** The Terraform resource a `TucoWebhook` synthesizes: `null_resource` (hashicorp/null) or the built-in `terraform_data`. */
export type TucoWebhookResourceType = "null_resource" | "terraform_data";

/** Context key of the stack-wide default age recipients (a list of `age1...`, or one comma-separated string). */
export const RECIPIENTS_CONTEXT = "tuco-webhooks:recipients";
/** Context key of the stack-wide default resource type. */
export const RESOURCE_TYPE_CONTEXT = "tuco-webhooks:resourceType";

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
   * The Terraform resource that carries the provisioners. Both types run the same commands.
   * @default - the `tuco-webhooks:resourceType` context value, else "null_resource"
   */
  readonly resourceType?: TucoWebhookResourceType;
}

const RESOURCE_TYPES: readonly TucoWebhookResourceType[] = ["null_resource", "terraform_data"];

/** The installed package cannot be used by Terraform as it is (its CLI path). */
export class InstallationError extends TucoError {
  readonly code = "INSTALLATION";
}

/** The `tuco-webhooks` CLI that provisioners run: the installed package's compiled entry point. */
export function tucoCliPath(): string {
  // From src/cdktf (tests, tsx) and from dist/cdktf (the installed package) alike.
  const cli = path.resolve(__dirname, "../../dist/cli/main.js");
  // Terraform would read these as template sequences in the provisioner command.
  if (/[$%]\{/.test(cli)) throw new InstallationError(`The tuco-webhooks CLI path ${cli} contains "\${" or "%{", which Terraform reads as a template: install the package under another directory`);
  return cli;
}

/** The construct's key within its stack: its path below the stack, restricted to [A-Za-z0-9._/-]. */
function keyOf(scope: Construct, stack: TerraformStack): string {
  const below = scope.node.scopes.slice(stack.node.scopes.length).map((s) => s.node.id);
  return below.join("/").replace(/[^A-Za-z0-9._/-]/g, "_");
}

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

function rejectTokens(subject: string, props: TucoWebhookProps): void {
  for (const [field, value] of Object.entries(props)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (values.some((v) => Token.isUnresolved(v))) {
      throw new InvalidDeclarationError(subject, [
        { field, value: "(token)", message: `${field} is a Terraform token (a value known only at apply time): pass a literal known at synthesis, because the provisioners and the drift check read it from the synthesized JSON` },
      ]);
    }
  }
}

function provisioners(createCommand: string, environment: Record<string, string> | undefined, destroyCommand: string): LocalExecProvisioner[] {
  return [
    { type: "local-exec", command: createCommand, ...(environment ? { environment } : {}) },
    { type: "local-exec", when: "destroy", command: destroyCommand },
  ];
}

function ensureNullProvider(stack: TerraformStack): void {
  const has = stack.node.children.some((c) => c instanceof TerraformProvider && c.terraformResourceType === "null");
  if (!has) new NullProvider(stack, "null");
}

function makeResource(
  scope: Construct,
  id: string,
  type: TucoWebhookResourceType,
  triggers: Record<string, string>,
  commands: LocalExecProvisioner[],
): TerraformResource {
  const lifecycle = { createBeforeDestroy: true };
  if (type === "terraform_data") return new DataResource(scope, id, { triggersReplace: triggers, lifecycle, provisioners: commands });
  ensureNullProvider(TerraformStack.of(scope));
  return new NullResource(scope, id, { triggers, lifecycle, provisioners: commands });
}

/** The resource type from the prop, else the context, else "null_resource"; or the problem with it. */
function resourceTypeOf(scope: Construct, prop: unknown): TucoWebhookResourceType | Problem {
  const value: unknown = prop ?? scope.node.tryGetContext(RESOURCE_TYPE_CONTEXT) ?? "null_resource";
  if (RESOURCE_TYPES.includes(value as TucoWebhookResourceType)) return value as TucoWebhookResourceType;
  const from = prop === undefined || prop === null ? `(the "${RESOURCE_TYPE_CONTEXT}" context value) ` : "";
  return { field: "resourceType", value, message: `resourceType ${from}${showValue(value)} is not supported: use "null_resource" or "terraform_data" (or leave it out for "null_resource")` };
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
export class TucoWebhook extends Construct {
  /** The stack name written into the ownership marker. */
  readonly stackName: string;
  /** The key written into the ownership marker: the construct's path within its stack. */
  readonly key: string;
  /** Absolute path of the sealed secret file. */
  readonly sealedSecretPath: string;
  /** What the provisioners apply (the JSON in the triggers and in TUCO_WEBHOOK_SPEC). */
  readonly declaration: WebhookDeclaration;
  /** The Terraform resource that carries the provisioners. */
  readonly resource: TerraformResource;

  constructor(scope: Construct, id: string, props: TucoWebhookProps) {
    super(scope, id);
    const stack = TerraformStack.of(this);
    const subject = JSON.stringify(this.node.path);
    rejectTokens(subject, props);
    this.stackName = stack.node.id;
    this.key = keyOf(this, stack);

    const recipients = recipientsOf(this, props.recipients);
    const resourceType = resourceTypeOf(this, props.resourceType);
    const defaultPath = `sealed-secrets/${this.stackName}/${this.key}.age`;
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
        seal: { recipients: "value" in recipients ? recipients.value : [], path: props.sealedSecretPath ?? path.resolve(defaultPath) },
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
    if (checked.value === undefined || problems.length > 0 || typeof resourceType !== "string") throw new InvalidDeclarationError(subject, problems);

    this.declaration = checked.value;
    this.sealedSecretPath = checked.value.seal.path;
    const json = webhookTriggerJson(this.declaration);
    const cli = tucoCliPath();
    if (!fs.existsSync(cli)) {
      Annotations.of(this).addWarning(`The tuco-webhooks CLI is not built at ${cli}: run \`npm run build\` before terraform apply.`);
    }
    this.resource = makeResource(
      this,
      "Default",
      resourceType,
      { [WEBHOOK_TRIGGER]: json },
      provisioners(commands.apply(cli), { [SPEC_ENV]: json }, commands.delete(cli, this.stackName, this.key)),
    );
    TucoWebhookPrune.of(stack, resourceType).register(this);
  }
}

/**
 * The stack's prune resource: its trigger is the sorted list of declared keys, so adding, renaming or
 * removing a `TucoWebhook` replaces it (create-before-destroy), and its create command deletes every
 * webhook the stack owns but no longer declares, in the same apply. Its destroy command deletes every
 * webhook of the stack. The first `TucoWebhook` of a stack creates it; call `TucoWebhookPrune.of(stack)`
 * yourself to keep it when a stack may drop its last webhook (else that last webhook is orphaned,
 * because Terraform runs no provisioner for a resource removed from the configuration).
 */
export class TucoWebhookPrune extends Construct {
  /** The construct id of the singleton under its stack (a public contract: changing it re-runs the prune). */
  static readonly ID = PRUNE_ID;

  /** The stack's prune construct, created on first use. */
  static of(stack: TerraformStack, resourceType?: TucoWebhookResourceType): TucoWebhookPrune {
    const existing = stack.node.tryFindChild(TucoWebhookPrune.ID);
    if (existing instanceof TucoWebhookPrune) return existing;
    const subject = JSON.stringify(stack.node.path);
    if (existing) {
      throw new InvalidDeclarationError(subject, [
        { field: "id", value: TucoWebhookPrune.ID, message: `the construct id "${TucoWebhookPrune.ID}" under stack "${stack.node.id}" is reserved by tuco-webhooks: rename that construct` },
      ]);
    }
    const type = resourceTypeOf(stack, resourceType);
    const stackName = checkOwnerPart("stack", stack.node.id);
    const problems = [...stackName.problems, ...(typeof type === "string" ? [] : [type])];
    if (problems.length > 0 || typeof type !== "string") throw new InvalidDeclarationError(subject, problems);
    return new TucoWebhookPrune(stack, type);
  }

  /** The Terraform resource that carries the prune provisioners. */
  readonly resource: TerraformResource;
  private readonly webhooks: TucoWebhook[] = [];
  private readonly stackName: string;

  private constructor(stack: TerraformStack, resourceType: TucoWebhookResourceType) {
    super(stack, TucoWebhookPrune.ID);
    this.stackName = stack.node.id;
    this.resource = makeResource(this, "Default", resourceType, {}, []);
    this.refresh();
  }

  /** Adds a webhook to the keys kept (called by `TucoWebhook`). Throws when two constructs map to the same key. */
  register(webhook: TucoWebhook): void {
    const twin = this.webhooks.find((w) => w.key === webhook.key);
    if (twin) {
      throw new InvalidDeclarationError(JSON.stringify(webhook.node.path), [
        {
          field: "id",
          value: webhook.node.id,
          message:
            `its key ${JSON.stringify(webhook.key)} is already used by ${JSON.stringify(twin.node.path)} ` +
            `(keys are construct paths with characters outside [A-Za-z0-9._/-] replaced by "_"): give one of them another id`,
        },
      ]);
    }
    this.webhooks.push(webhook);
    this.refresh();
  }

  private refresh(): void {
    const keep = this.webhooks.map((w) => w.key).sort();
    const cli = tucoCliPath();
    const trigger = { [PRUNE_TRIGGER]: pruneJson({ stack: this.stackName, keep }) };
    if (this.resource instanceof DataResource) this.resource.triggersReplace = trigger;
    else (this.resource as NullResource).triggers = trigger;
    this.resource.provisioners = provisioners(commands.prune(cli, this.stackName, keep), undefined, commands.prune(cli, this.stackName, []));
    // `fqn` renders as "${type.name}", which depends_on rejects: it takes the bare address.
    this.resource.dependsOn =
      this.webhooks.length > 0
        ? this.webhooks.map((w) => Lazy.stringValue({ produce: () => `${w.resource.terraformResourceType}.${w.resource.friendlyUniqueId}` }))
        : undefined;
  }
}
