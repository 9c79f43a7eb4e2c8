/**
 * The declared webhook of the provisioner lifecycle: what a stack declares for one key (the spec,
 * its owner, the health-check policy and where its one-time secret is sealed), its wire form (the
 * JSON the construct writes and `tuco-webhooks apply` reads), and its ONE check, used by the
 * construct at synthesis, by `apply` and by `drift`, so they never disagree.
 */
import { TucoError } from "../api/errors";
import { checkOutputPath } from "../secrets/output-path";
import { checkRecipients } from "../secrets/recipients";
import { showValue } from "../private/text";
import { checkHealthCheckPolicy, type HealthCheckPolicy } from "./health";
import { checkOwnerPart, type Owner } from "./ownership";
import { describeProblems, invalid, valid, type Checked, type Problem } from "./problems";
import { checkWebhookId, validateWebhookSpec, type WebhookSpec } from "./spec";

/** Where the one-time secret is sealed: the age recipients and the file. */
export interface SealSpec {
  readonly recipients: readonly string[];
  /** Absolute. */
  readonly path: string;
}

/** One webhook as a stack declares it. */
export interface WebhookDeclaration {
  readonly owner: Owner;
  readonly spec: WebhookSpec;
  readonly healthCheck: HealthCheckPolicy;
  readonly seal: SealSpec;
  /** An existing webhook to take over instead of creating one (its secret is then unknown), or null. */
  readonly adoptId: string | null;
}

/** The environment variable that carries a declaration's wire JSON to `tuco-webhooks apply` (what the provisioners set). */
export const DECLARATION_ENV = "TUCO_WEBHOOK_SPEC";
/** The environment variable that names the stack instance applying (the provisioners set it from the Terraform state). */
export const INSTANCE_ENV = "TUCO_STACK_INSTANCE";

/** A declaration failed its check (at synthesis, or in a spec given to the CLI); `problems` lists every bad field. Nothing was sent. */
export class InvalidDeclarationError extends TucoError {
  readonly code = "INVALID_DECLARATION";
  readonly problems: readonly Problem[];
  constructor(subject: string, problems: readonly Problem[]) {
    super(`Invalid webhook ${subject}: ${describeProblems(problems)}`);
    this.problems = problems;
  }
}

/** The fields of the wire form, in the order `declarationJson` writes them. */
export const DECLARATION_FIELDS = ["stack", "key", "name", "url", "events", "description", "isActive", "healthCheck", "seal", "adoptId"] as const;
const SEAL_FIELDS = ["recipients", "path"];

/** The wire form: one flat JSON object, as `tuco-webhooks apply` takes it. */
export interface DeclarationJson {
  readonly stack: string;
  readonly key: string;
  readonly name: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly description: string | null;
  readonly isActive: boolean;
  readonly healthCheck: HealthCheckPolicy;
  readonly seal: { readonly recipients: readonly string[]; readonly path: string };
  /** Only when set. */
  readonly adoptId?: string;
}

/** How messages name the seal's fields: `seal.recipients` and `seal.path` in the wire form, a front end's own names elsewhere. */
export interface DeclarationFieldNames {
  readonly recipients: string;
  readonly sealPath: string;
}

/** The wire form's own names. */
export const WIRE_FIELD_NAMES: DeclarationFieldNames = { recipients: "seal.recipients", sealPath: "seal.path" };

/** The wire form of a declaration, with a fixed key order so equal declarations give equal JSON. */
export function declarationJson(d: WebhookDeclaration): DeclarationJson {
  return {
    stack: d.owner.stack,
    key: d.owner.key,
    name: d.spec.name,
    url: d.spec.url,
    events: d.spec.events,
    description: d.spec.description,
    isActive: d.spec.isActive,
    healthCheck: d.healthCheck,
    seal: { recipients: d.seal.recipients, path: d.seal.path },
    ...(d.adoptId !== null ? { adoptId: d.adoptId } : {}),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Checks a declaration in its wire form and returns it normalized (spec normalized, seal path
 * absolute, recipients checked), or every problem, each naming its field (as `names` calls the
 * seal's), the value and the fix. Nothing is sent and nothing is written.
 */
export function checkDeclaration(value: unknown, names: DeclarationFieldNames = WIRE_FIELD_NAMES): Checked<WebhookDeclaration> {
  if (!isRecord(value)) {
    // Field "declaration": the problem is the whole value, which the caller names ("spec (--spec)").
    return invalid({ field: "declaration", value, message: `must be a JSON object like {"stack":"prod","key":"crm","name":...}, got ${showValue(value)}` });
  }
  const problems: Problem[] = [];
  const unknown = Object.keys(value).filter((k) => !(DECLARATION_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    problems.push({
      field: unknown[0],
      value: unknown,
      message: `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}: remove or fix (known: ${DECLARATION_FIELDS.join(", ")})`,
    });
  }
  const stack = checkOwnerPart("stack", value.stack);
  const key = checkOwnerPart("key", value.key);
  const spec = validateWebhookSpec(value);
  const healthCheck = checkHealthCheckPolicy(value.healthCheck);
  problems.push(...stack.problems, ...key.problems, ...spec.problems);
  problems.push(...healthCheck.problems);
  const seal = checkSeal(value.seal, names);
  problems.push(...seal.problems);
  const adopt = value.adoptId === undefined || value.adoptId === null ? valid(null) : checkWebhookId("adoptId", value.adoptId);
  problems.push(...adopt.problems.map((p) => ({ ...p, message: `${p.message}, or leave adoptId out to create a new webhook` })));
  if (stack.value === undefined || key.value === undefined || spec.value === undefined || healthCheck.value === undefined || seal.value === undefined || adopt.value === undefined || problems.length > 0) {
    return invalid(problems[0], ...problems.slice(1));
  }
  return valid({ owner: { stack: stack.value, key: key.value }, spec: spec.value, healthCheck: healthCheck.value, seal: seal.value, adoptId: adopt.value });
}

function checkSeal(seal: unknown, names: DeclarationFieldNames): Checked<SealSpec> {
  const example = `{"recipients": ["age1..."], "path": "secrets/<name>.age"}`;
  if (seal === undefined || seal === null) {
    const recipients = checkRecipients(undefined, names.recipients);
    return invalid({ field: "seal", value: seal, message: `seal is missing: add "seal": ${example}. ${recipients.problems[0]?.message ?? ""}`.trimEnd() });
  }
  if (!isRecord(seal)) return invalid({ field: "seal", value: seal, message: `seal ${showValue(seal)} must be an object: ${example}` });
  const problems: Problem[] = [];
  const extra = Object.keys(seal).filter((k) => !SEAL_FIELDS.includes(k));
  if (extra.length > 0) {
    problems.push({ field: "seal", value: extra, message: `unknown seal field${extra.length > 1 ? "s" : ""} ${extra.map((k) => JSON.stringify(k)).join(", ")}: seal takes only recipients and path` });
  }
  const recipients = checkRecipients(seal.recipients, names.recipients);
  const path = checkOutputPath(names.sealPath, seal.path);
  problems.push(...recipients.problems, ...path.problems);
  if (recipients.value === undefined || path.value === undefined || problems.length > 0) return invalid(problems[0], ...problems.slice(1));
  return valid({ recipients: recipients.value, path: path.value });
}
