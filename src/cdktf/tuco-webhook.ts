import * as fs from "node:fs";
import * as path from "node:path";
import { Annotations, DataResource, Lazy, TerraformProvider, TerraformResource, TerraformStack, Token, type LocalExecProvisioner } from "cdktf";
import { Construct } from "constructs";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { TucoError } from "../api/errors";
import { checkOutputPath } from "../secrets/file";
import { SealingConfigError, parseRecipients } from "../secrets/recipients";
import { checkHealthCheckPolicy, type HealthCheckPolicy } from "../webhook/health";
import { checkOwnerPart, parseOwnerTag } from "../webhook/ownership";
import { parseWebhookSpec, showValue } from "../webhook/spec";
import {
  PRUNE_ID,
  PRUNE_TRIGGER,
  WEBHOOK_TRIGGER,
  pruneJson,
  shellQuote,
  webhookJson,
  type DeclaredWebhook,
} from "./synthesized-stack";

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

/** The `tuco-webhooks` CLI that provisioners run: the installed package's compiled entry point. */
export function tucoCliPath(): string {
  // From src/cdktf (tests, tsx) and from dist/cdktf (the installed package) alike.
  const cli = path.resolve(__dirname, "../../dist/cli/main.js");
  // Terraform would read these as template sequences in the provisioner command.
  if (/[$%]\{/.test(cli)) throw new TucoError("CONFIG", `The tuco-webhooks CLI path ${cli} contains "\${" or "%{", which Terraform reads as a template: install the package under another directory`);
  return cli;
}

function propsError(subject: string, message: string): TucoError {
  return new TucoError("INVALID_SPEC", `Invalid webhook ${subject}: ${message}`);
}

/** The construct's key within its stack: its path below the stack, restricted to [A-Za-z0-9._/-]. */
function keyOf(scope: Construct, stack: TerraformStack): string {
  const below = scope.node.scopes.slice(stack.node.scopes.length).map((s) => s.node.id);
  return below.join("/").replace(/[^A-Za-z0-9._/-]/g, "_");
}

function contextRecipients(scope: Construct): unknown {
  const value: unknown = scope.node.tryGetContext(RECIPIENTS_CONTEXT);
  if (typeof value === "string") return value.split(/[\s,]+/).filter((r) => r !== "");
  return value;
}

/** The recipients from the prop, else the context, checked like `tuco-webhooks apply` checks them (bech32 checksum included). */
function checkedRecipients(scope: Construct, subject: string, prop: unknown): string[] {
  const given = prop !== undefined && prop !== null;
  const value = given ? prop : contextRecipients(scope);
  const howTo =
    `Set the "recipients" prop to ["age1..."], or the stack-wide default: "context": {"${RECIPIENTS_CONTEXT}": ["age1..."]} in cdktf.json, ` +
    `or app.node.setContext("${RECIPIENTS_CONTEXT}", ["age1..."]). Create a key pair with \`age-keygen -o key.txt\`.`;
  if (value === undefined || value === null) {
    throw propsError(subject, `no age recipients to seal its one-time secret to (a webhook whose secret is thrown away is useless). ${howTo}`);
  }
  if (given && !Array.isArray(value)) throw propsError(subject, `recipients ${showValue(value)} must be a list of age1... public keys, got ${typeof value}. ${howTo}`);
  if (Array.isArray(value) && value.length === 0) {
    throw propsError(subject, `${given ? "recipients" : `the "${RECIPIENTS_CONTEXT}" context value`} [] is empty: no one could read a secret sealed to no one. ${howTo}`);
  }
  try {
    return parseRecipients(value, "recipients");
  } catch (err) {
    if (!(err instanceof SealingConfigError)) throw err;
    // The shared check names the bad entry by its index and never repeats an age secret key.
    const from = given ? "" : ` (They came from the "${RECIPIENTS_CONTEXT}" context value.)`;
    throw propsError(subject, `${err.message}${from}`);
  }
}

function rejectTokens(subject: string, props: TucoWebhookProps): void {
  for (const [field, value] of Object.entries(props)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (values.some((v) => Token.isUnresolved(v))) {
      throw propsError(subject, `${field} is a Terraform token (a value known only at apply time): pass a literal known at synthesis, because the provisioners and the drift check read it from the synthesized JSON`);
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
  readonly declaration: DeclaredWebhook;
  /** The Terraform resource that carries the provisioners. */
  readonly resource: TerraformResource;

  constructor(scope: Construct, id: string, props: TucoWebhookProps) {
    super(scope, id);
    const stack = TerraformStack.of(this);
    const subject = JSON.stringify(this.node.path);
    rejectTokens(subject, props);
    const spec = parseWebhookSpec(props, subject);

    this.stackName = stack.node.id;
    this.key = keyOf(this, stack);
    try {
      checkOwnerPart("stack", this.stackName);
      checkOwnerPart("key", this.key);
    } catch (err) {
      throw propsError(subject, `${(err as Error).message} (the stack name and the construct path form the ownership marker)`);
    }

    if (parseOwnerTag(spec.description).owner) {
      throw propsError(subject, `description ends with a tuco-webhooks ownership marker ([tuco-webhooks stack=... key=...]): remove that line, it is added for you`);
    }
    const healthCheck = props.healthCheck ?? "fail";
    const policyProblem = checkHealthCheckPolicy(props.healthCheck);
    if (policyProblem) throw propsError(subject, policyProblem);
    const resourceType = (props.resourceType ?? this.node.tryGetContext(RESOURCE_TYPE_CONTEXT) ?? "null_resource") as TucoWebhookResourceType;
    if (!RESOURCE_TYPES.includes(resourceType)) {
      const from = props.resourceType === undefined || props.resourceType === null ? `(the "${RESOURCE_TYPE_CONTEXT}" context value) ` : "";
      throw propsError(subject, `resourceType ${from}${showValue(resourceType)} is not supported: use "null_resource" or "terraform_data" (or leave it out for "null_resource")`);
    }

    const recipients = checkedRecipients(this, subject, props.recipients);
    let sealedSecretPath = path.resolve(path.join("sealed-secrets", this.stackName, `${this.key}.age`));
    if (props.sealedSecretPath !== undefined && props.sealedSecretPath !== null) {
      const checked = checkOutputPath("sealedSecretPath", props.sealedSecretPath, `sealed-secrets/${this.stackName}/${this.key}.age`);
      if ("problem" in checked) throw propsError(subject, `${checked.problem} (or leave it out for sealed-secrets/<stack>/<key>.age)`);
      sealedSecretPath = checked.path;
    }
    this.sealedSecretPath = sealedSecretPath;

    this.declaration = {
      stack: this.stackName,
      key: this.key,
      name: spec.name,
      url: spec.url,
      events: spec.events,
      description: spec.description,
      isActive: spec.isActive,
      healthCheck,
      seal: { recipients, path: this.sealedSecretPath },
    };

    const json = webhookJson(this.declaration);
    const cli = shellQuote(tucoCliPath());
    if (!fs.existsSync(tucoCliPath())) {
      Annotations.of(this).addWarning(`The tuco-webhooks CLI is not built at ${tucoCliPath()}: run \`npm run build\` before terraform apply.`);
    }
    this.resource = makeResource(
      this,
      "Default",
      resourceType,
      { [WEBHOOK_TRIGGER]: json },
      provisioners(
        `node ${cli} apply`,
        { TUCO_WEBHOOK_SPEC: json },
        `node ${cli} delete --stack ${shellQuote(this.stackName)} --key ${shellQuote(this.key)}`,
      ),
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
    if (existing) throw new TucoError("INVALID_SPEC", `The construct id "${TucoWebhookPrune.ID}" under stack "${stack.node.id}" is reserved by tuco-webhooks: rename that construct`);
    const type = (resourceType ?? stack.node.tryGetContext(RESOURCE_TYPE_CONTEXT) ?? "null_resource") as TucoWebhookResourceType;
    return new TucoWebhookPrune(stack, type);
  }

  /** The Terraform resource that carries the prune provisioners. */
  readonly resource: TerraformResource;
  private readonly webhooks: TucoWebhook[] = [];
  private readonly stackName: string;

  private constructor(stack: TerraformStack, resourceType: TucoWebhookResourceType) {
    super(stack, TucoWebhookPrune.ID);
    this.stackName = stack.node.id;
    checkOwnerPart("stack", this.stackName);
    this.resource = makeResource(this, "Default", resourceType, {}, []);
    this.refresh();
  }

  /** Adds a webhook to the keys kept (called by `TucoWebhook`). Throws when two constructs map to the same key. */
  register(webhook: TucoWebhook): void {
    const twin = this.webhooks.find((w) => w.key === webhook.key);
    if (twin) {
      throw new TucoError(
        "INVALID_SPEC",
        `Invalid webhook ${JSON.stringify(webhook.node.path)}: its key ${JSON.stringify(webhook.key)} is already used by ${JSON.stringify(twin.node.path)} ` +
          `(keys are construct paths with characters outside [A-Za-z0-9._/-] replaced by "_"): give one of them another id`,
      );
    }
    this.webhooks.push(webhook);
    this.refresh();
  }

  private refresh(): void {
    const keep = this.webhooks.map((w) => w.key).sort();
    const cli = shellQuote(tucoCliPath());
    const stack = shellQuote(this.stackName);
    const trigger = { [PRUNE_TRIGGER]: (pruneJson({ stack: this.stackName, keep })) };
    if (this.resource instanceof DataResource) this.resource.triggersReplace = trigger;
    else (this.resource as NullResource).triggers = trigger;
    this.resource.provisioners = provisioners(
      `node ${cli} prune --stack ${stack} --keep ${shellQuote(keep.join(","))}`,
      undefined,
      `node ${cli} prune --stack ${stack} --keep ''`,
    );
    // `fqn` renders as "${type.name}", which depends_on rejects: it takes the bare address.
    this.resource.dependsOn =
      this.webhooks.length > 0
        ? this.webhooks.map((w) => Lazy.stringValue({ produce: () => `${w.resource.terraformResourceType}.${w.resource.friendlyUniqueId}` }))
        : undefined;
  }
}
