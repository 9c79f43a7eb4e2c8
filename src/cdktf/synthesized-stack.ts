/**
 * The contract between the `TucoWebhook` construct and what reads its synthesized output
 * (`tuco-webhooks drift`): which trigger keys hold which JSON, and how a value is written
 * into a Terraform JSON string. This module never imports cdktf, so the CLI can load it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TucoError } from "../api/errors";
import type { WebhookEvent } from "../api/types";
import { checkOutputPath } from "../secrets/file";
import { SealingConfigError, parseRecipients } from "../secrets/recipients";
import { checkHealthCheckPolicy, type HealthCheckPolicy } from "../webhook/health";
import { checkOwnerPart, parseOwnerTag } from "../webhook/ownership";
import { showValue, validateWebhookSpec, type WebhookSpec } from "../webhook/spec";

/** The trigger key that holds a webhook's desired state (JSON of `DeclaredWebhook`). */
export const WEBHOOK_TRIGGER = "tuco_webhook";
/** The construct id of a stack's prune resource (a public contract: changing it re-runs the prune). */
export const PRUNE_ID = "TucoWebhooksPrune";
/** The trigger key that holds the prune resource's state (JSON of `DeclaredPrune`). */
export const PRUNE_TRIGGER = "tuco_webhooks_prune";

/** Where `apply` seals the one-time secret. */
export interface SealSpec {
  readonly recipients: string[];
  readonly path: string;
}

/** One webhook as the construct declares it: exactly the JSON `tuco-webhooks apply` reads from TUCO_WEBHOOK_SPEC. */
export interface DeclaredWebhook {
  readonly stack: string;
  readonly key: string;
  readonly name: string;
  readonly url: string;
  readonly events: WebhookEvent[];
  readonly description: string | null;
  readonly isActive: boolean;
  readonly healthCheck: HealthCheckPolicy;
  readonly seal: SealSpec;
}

/** The prune resource's state: the stack and every key it declares, sorted. */
export interface DeclaredPrune {
  readonly stack: string;
  readonly keep: string[];
}

/** A synthesized stack as far as Tuco webhooks are concerned. */
export interface SynthesizedStack {
  /** The file read. */
  readonly file: string;
  readonly stack: string;
  /** Declared webhooks, sorted by key. */
  readonly webhooks: DeclaredWebhook[];
  /** The prune resource's declaration, when the stack has one. */
  readonly prune: DeclaredPrune | undefined;
}

/** A synthesized stack could not be read: `file` names it, the message says what is wrong. */
export class SynthesizedStackError extends TucoError {
  readonly file: string;
  constructor(file: string, what: string) {
    super("CONFIG", `${file}: ${what}`);
    this.file = file;
  }
}

/**
 * Makes JSON text safe inside a Terraform JSON string. Terraform evaluates every string of
 * `*.tf.json` as a template (`${...}`, `%{...}`), and cdktf rewrites Terraform's own `$${`
 * escape, so every `$` and `%` is written as the JSON escape `\u0024` / `\u0025` instead: the
 * text stays valid JSON that any parser reads back to the same value, and holds no template.
 */
export function terraformSafeJson(json: string): string {
  return json.replace(/\$/g, "\\u0024").replace(/%/g, "\\u0025");
}

/** Quotes one word for /bin/sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The canonical JSON of a declared webhook: fixed key order, so equal declarations give equal triggers. */
export function webhookJson(w: DeclaredWebhook): string {
  return terraformSafeJson(JSON.stringify({
    stack: w.stack,
    key: w.key,
    name: w.name,
    url: w.url,
    events: w.events,
    description: w.description,
    isActive: w.isActive,
    healthCheck: w.healthCheck,
    seal: { recipients: w.seal.recipients, path: w.seal.path },
  }));
}

/** The canonical JSON of the prune declaration. */
export function pruneJson(p: DeclaredPrune): string {
  return terraformSafeJson(JSON.stringify({ stack: p.stack, keep: p.keep }));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const RESYNTH = "Synthesize the stack again (cdktf synth) instead of editing cdk.tf.json by hand.";
/** The fields of a declared webhook, in the order `webhookJson` writes them. */
const DECLARED_FIELDS = ["stack", "key", "name", "url", "events", "description", "isActive", "healthCheck", "seal"] as const;
const SEAL_FIELDS = ["recipients", "path"];

/**
 * Checks a webhook declaration: the JSON `TucoWebhook` writes into its trigger and into
 * TUCO_WEBHOOK_SPEC, and that `tuco-webhooks apply` takes. One check for every reader (apply,
 * drift), so they never disagree. Returns the normalized declaration, or every problem, each
 * naming its field, the value and the fix.
 */
export function checkDeclaration(value: Record<string, unknown>): { declared: DeclaredWebhook; problems: [] } | { declared: undefined; problems: string[] } {
  const problems: string[] = [];
  const unknown = Object.keys(value).filter((k) => !(DECLARED_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) problems.push(`unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}: remove or fix (known: ${DECLARED_FIELDS.join(", ")})`);
  for (const field of ["stack", "key"] as const) {
    const part = value[field];
    if (typeof part !== "string") {
      problems.push(`${field} ${showValue(part)} is missing or not a string: use 1-200 characters of A-Z a-z 0-9 . _ / -`);
      continue;
    }
    try {
      checkOwnerPart(field, part);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  const checked = validateWebhookSpec(value);
  problems.push(...checked.failures.map((f) => f.message));
  if (checked.spec && parseOwnerTag(checked.spec.description).owner) {
    problems.push(`description ${showValue(checked.spec.description)} ends with a tuco-webhooks ownership marker: remove that last line, apply adds it`);
  }
  const policy = checkHealthCheckPolicy(value.healthCheck);
  if (policy) problems.push(policy);

  let recipients: string[] = [];
  let sealPath = "";
  const seal = value.seal;
  if (seal === undefined || seal === null) {
    try {
      parseRecipients(undefined, "seal.recipients");
    } catch (err) {
      problems.push(`seal is missing: add "seal": {"recipients": ["age1..."], "path": "secrets/<name>.age"}. ${(err as Error).message}`);
    }
  } else if (!isRecord(seal)) {
    problems.push(`seal ${showValue(seal)} must be an object: {"recipients": ["age1..."], "path": "secrets/<name>.age"}`);
  } else {
    const extra = Object.keys(seal).filter((k) => !SEAL_FIELDS.includes(k));
    if (extra.length > 0) problems.push(`unknown seal field${extra.length > 1 ? "s" : ""} ${extra.map((k) => JSON.stringify(k)).join(", ")}: seal takes only recipients and path`);
    try {
      recipients = parseRecipients(seal.recipients, "seal.recipients");
    } catch (err) {
      if (!(err instanceof SealingConfigError)) throw err;
      problems.push(err.message);
    }
    const path = checkOutputPath("seal.path", seal.path);
    if ("problem" in path) problems.push(path.problem);
    else sealPath = path.path;
  }
  if (problems.length > 0 || checked.spec === undefined) return { declared: undefined, problems };
  const spec = checked.spec;
  return {
    declared: {
      stack: value.stack as string,
      key: value.key as string,
      name: spec.name,
      url: spec.url,
      events: spec.events,
      description: spec.description,
      isActive: spec.isActive,
      healthCheck: (value.healthCheck ?? "fail") as HealthCheckPolicy,
      seal: { recipients, path: sealPath },
    },
    problems: [],
  };
}

/** Checks a declared webhook read back from a file; throws `SynthesizedStackError` naming every bad field. */
export function checkDeclaredWebhook(file: string, where: string, value: unknown): DeclaredWebhook {
  if (!isRecord(value)) throw new SynthesizedStackError(file, `${where}: the webhook declaration ${showValue(value)} is not a JSON object. ${RESYNTH}`);
  const result = checkDeclaration(value);
  if (result.declared === undefined) throw new SynthesizedStackError(file, `${where}: ${result.problems.join("; ")}. ${RESYNTH}`);
  return result.declared;
}

function parseTrigger(file: string, where: string, raw: unknown): unknown {
  if (typeof raw !== "string") throw new SynthesizedStackError(file, `${where} ${showValue(raw)} is not a string. ${RESYNTH}`);
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new SynthesizedStackError(file, `${where} is not valid JSON (${(err as Error).message}). ${RESYNTH}`);
  }
}

type LocalExec = { command: string; environment: Record<string, unknown>; when: unknown };

/** The local-exec provisioners of a resource body (anything else is left out). */
function localExecs(body: Record<string, unknown>): LocalExec[] {
  const list = Array.isArray(body.provisioner) ? body.provisioner : [];
  const out: LocalExec[] = [];
  for (const p of list) {
    const le = isRecord(p) ? p["local-exec"] : undefined;
    if (!isRecord(le)) continue;
    out.push({ command: typeof le.command === "string" ? le.command : "", environment: isRecord(le.environment) ? le.environment : {}, when: le.when });
  }
  return out;
}

/** `node '<cli>' <subcommand> <rest>` as TucoWebhook writes it: the subcommand and the rest, or undefined. */
const CLI_COMMAND = /^node '(?:[^']|'\\'')*' (apply|delete|prune)(?: (.*))?$/s;
/** A command that runs our CLI (its bin name, or the compiled entry point `dist/cli/main.js` the construct writes); another script's `main.js apply` is not ours. */
const RUNS_TUCO_CLI = /(?:^|[\s'"/])(?:tuco-webhooks|dist\/cli\/main\.js'?)\s+(?:apply|delete|prune)\b/;

function cliCall(command: string): { sub: string; rest: string } | undefined {
  const m = CLI_COMMAND.exec(command);
  return m ? { sub: m[1], rest: m[2] ?? "" } : undefined;
}

/** Whether a resource is one of ours: it carries our trigger, or its provisioners run the tuco-webhooks CLI. */
function isTucoResource(body: Record<string, unknown>): boolean {
  for (const key of ["triggers", "triggers_replace"]) {
    const t = body[key];
    if (isRecord(t) && (WEBHOOK_TRIGGER in t || PRUNE_TRIGGER in t)) return true;
  }
  return localExecs(body).some((p) => RUNS_TUCO_CLI.test(p.command));
}

/** The first field that differs between two declarations, for a message; undefined when equal. */
function firstDifference(a: DeclaredWebhook, b: DeclaredWebhook): { field: string; a: unknown; b: unknown } | undefined {
  for (const field of DECLARED_FIELDS) {
    if (JSON.stringify(a[field]) !== JSON.stringify(b[field])) return { field, a: a[field], b: b[field] };
  }
  return undefined;
}

/**
 * Checks that what a webhook resource's provisioners run is what its trigger declares: the create
 * command is `apply` with TUCO_WEBHOOK_SPEC equal to the trigger, the destroy command deletes the
 * same stack and key. A hand edit of one but not the other would make Terraform apply one webhook
 * while drift compares another.
 */
function checkWebhookProvisioners(file: string, where: string, body: Record<string, unknown>, declared: DeclaredWebhook): void {
  const bad = (what: string): never => {
    throw new SynthesizedStackError(file, `${where}: ${what}. ${RESYNTH}`);
  };
  const execs = localExecs(body);
  const create = execs.filter((p) => p.when === undefined);
  const destroy = execs.filter((p) => p.when === "destroy");
  if (create.length !== 1 || cliCall(create[0].command)?.sub !== "apply" || cliCall(create[0].command)?.rest !== "") {
    bad(`its create-time provisioner must be the one command \`node '<cli>' apply\` (found ${showValue(create.map((p) => p.command))})`);
  }
  const env = create[0].environment.TUCO_WEBHOOK_SPEC;
  const fromEnv = checkDeclaredWebhook(file, `${where} provisioner environment TUCO_WEBHOOK_SPEC`, parseTrigger(file, `${where} provisioner environment TUCO_WEBHOOK_SPEC`, env));
  const diff = firstDifference(declared, fromEnv);
  if (diff) {
    bad(`the provisioner environment TUCO_WEBHOOK_SPEC (what apply runs with) has ${diff.field} ${showValue(diff.b)}, but trigger ${WEBHOOK_TRIGGER} (what drift and Terraform's plan read) has ${showValue(diff.a)}`);
  }
  const expected = `--stack ${shellQuote(declared.stack)} --key ${shellQuote(declared.key)}`;
  const del = destroy.length === 1 ? cliCall(destroy[0].command) : undefined;
  if (del?.sub !== "delete" || del.rest !== expected) {
    bad(`its destroy-time provisioner must be \`node '<cli>' delete ${expected}\`, the stack and key of its trigger (found ${showValue(destroy.map((p) => p.command))})`);
  }
}

/** Checks the prune resource: its trigger keeps exactly the declared keys and its commands prune exactly those. */
function checkPrune(file: string, where: string, body: Record<string, unknown>, prune: DeclaredPrune, declaredKeys: string[]): void {
  const bad = (what: string): never => {
    throw new SynthesizedStackError(file, `${where}: ${what}. ${RESYNTH}`);
  };
  const keys = [...declaredKeys].sort();
  if (JSON.stringify([...prune.keep].sort()) !== JSON.stringify(keys)) {
    bad(`trigger ${PRUNE_TRIGGER} keeps ${showValue(prune.keep)}, but the stack declares the keys ${showValue(keys)}: prune would delete a declared webhook or keep an undeclared one`);
  }
  const execs = localExecs(body);
  const create = execs.filter((p) => p.when === undefined);
  const destroy = execs.filter((p) => p.when === "destroy");
  const expectedCreate = `--stack ${shellQuote(prune.stack)} --keep ${shellQuote(keys.join(","))}`;
  const call = create.length === 1 ? cliCall(create[0].command) : undefined;
  if (call?.sub !== "prune" || call.rest !== expectedCreate) {
    bad(`its create-time provisioner must be \`node '<cli>' prune ${expectedCreate}\`, the keys of its trigger (found ${showValue(create.map((p) => p.command))})`);
  }
  const expectedDestroy = `--stack ${shellQuote(prune.stack)} --keep ''`;
  const del = destroy.length === 1 ? cliCall(destroy[0].command) : undefined;
  if (del?.sub !== "prune" || del.rest !== expectedDestroy) {
    bad(`its destroy-time provisioner must be \`node '<cli>' prune ${expectedDestroy}\` (found ${showValue(destroy.map((p) => p.command))})`);
  }
}

/**
 * Reads the webhooks a synthesized stack declares, from a `cdk.tf.json` file or the stack's directory.
 * Rejects, naming the file, the resource and the field, any content `TucoWebhook` does not write:
 * invalid declarations, and provisioners that would run something other than what the triggers say.
 */
export function readSynthesizedStack(fileOrDir: string): SynthesizedStack {
  let file = fileOrDir;
  if (fs.existsSync(fileOrDir) && fs.statSync(fileOrDir).isDirectory()) file = path.join(fileOrDir, "cdk.tf.json");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SynthesizedStackError(
      file,
      code === "ENOENT"
        ? "no such file: run `cdktf synth` first and pass cdktf.out/stacks/<stack>"
        : code === "EISDIR"
          ? "is a directory, not a file: pass cdktf.out/stacks/<stack> or its cdk.tf.json"
          : `cannot read it (${code ?? (err as Error).message}): pass cdktf.out/stacks/<stack> or its cdk.tf.json`,
    );
  }
  if (text.trim() === "") throw new SynthesizedStackError(file, `is empty. ${RESYNTH}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SynthesizedStackError(file, `not valid JSON (${(err as Error).message}). ${RESYNTH}`);
  }
  if (!isRecord(doc)) throw new SynthesizedStackError(file, `not a Terraform JSON configuration (expected an object, got ${showValue(doc)})`);
  const resources = doc.resource ?? {};
  if (!isRecord(resources)) throw new SynthesizedStackError(file, `"resource" ${showValue(resources)} is not an object. ${RESYNTH}`);
  const webhooks: { declared: DeclaredWebhook; where: string }[] = [];
  let prune: { declared: DeclaredPrune; where: string; body: Record<string, unknown> } | undefined;
  for (const [type, byName] of Object.entries(resources)) {
    if (!isRecord(byName)) {
      if (type === "null_resource" || type === "terraform_data") throw new SynthesizedStackError(file, `resource.${type} is not an object. ${RESYNTH}`);
      continue;
    }
    for (const [name, body] of Object.entries(byName)) {
      const where = `resource.${type}.${name}`;
      if (!isRecord(body)) {
        if (type === "null_resource" || type === "terraform_data") throw new SynthesizedStackError(file, `${where} is not an object. ${RESYNTH}`);
        continue;
      }
      if (!isTucoResource(body)) continue;
      if (type !== "null_resource" && type !== "terraform_data") {
        throw new SynthesizedStackError(file, `${where} runs tuco-webhooks provisioners but is a ${type}: TucoWebhook synthesizes null_resource or terraform_data. ${RESYNTH}`);
      }
      const triggersField = type === "null_resource" ? "triggers" : "triggers_replace";
      const triggers = body[triggersField];
      if (!isRecord(triggers)) {
        throw new SynthesizedStackError(file, `${where}.${triggersField} ${showValue(triggers)} must hold trigger ${WEBHOOK_TRIGGER} or ${PRUNE_TRIGGER}. ${RESYNTH}`);
      }
      if (WEBHOOK_TRIGGER in triggers) {
        const declared = checkDeclaredWebhook(file, where, parseTrigger(file, `${where} trigger ${WEBHOOK_TRIGGER}`, triggers[WEBHOOK_TRIGGER]));
        checkWebhookProvisioners(file, where, body, declared);
        webhooks.push({ declared, where });
      } else if (PRUNE_TRIGGER in triggers) {
        const p = parseTrigger(file, `${where} trigger ${PRUNE_TRIGGER}`, triggers[PRUNE_TRIGGER]);
        if (!isRecord(p) || typeof p.stack !== "string" || !Array.isArray(p.keep) || !p.keep.every((k) => typeof k === "string")) {
          throw new SynthesizedStackError(file, `${where} trigger ${PRUNE_TRIGGER} ${showValue(p)} must be {"stack": "...", "keep": [...]}. ${RESYNTH}`);
        }
        if (prune) throw new SynthesizedStackError(file, `${where} is a second prune resource (the first is ${prune.where}): a stack has one. ${RESYNTH}`);
        prune = { declared: { stack: p.stack, keep: p.keep as string[] }, where, body };
      } else {
        throw new SynthesizedStackError(file, `${where}.${triggersField} holds neither trigger ${WEBHOOK_TRIGGER} nor ${PRUNE_TRIGGER}, yet its provisioners run tuco-webhooks. ${RESYNTH}`);
      }
    }
  }
  const stacks = new Set([...webhooks.map((w) => w.declared.stack), ...(prune ? [prune.declared.stack] : [])]);
  if (stacks.size === 0) throw new SynthesizedStackError(file, "declares no Tuco webhook (no TucoWebhook construct was synthesized into this stack)");
  if (stacks.size > 1) throw new SynthesizedStackError(file, `declares webhooks of several stacks (${[...stacks].join(", ")}): one cdk.tf.json holds one stack. ${RESYNTH}`);
  const keys = new Map<string, string>();
  for (const w of webhooks) {
    const twin = keys.get(w.declared.key);
    if (twin) throw new SynthesizedStackError(file, `${w.where} declares the key ${JSON.stringify(w.declared.key)}, which ${twin} declares too. ${RESYNTH}`);
    keys.set(w.declared.key, w.where);
  }
  if (webhooks.length > 0 && !prune) {
    throw new SynthesizedStackError(file, `declares webhooks but no prune resource (${PRUNE_ID}): webhooks removed from the program would never be deleted. ${RESYNTH}`);
  }
  if (prune) checkPrune(file, prune.where, prune.body, prune.declared, [...keys.keys()]);
  const declared = webhooks.map((w) => w.declared).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { file, stack: [...stacks][0], webhooks: declared, prune: prune?.declared };
}
