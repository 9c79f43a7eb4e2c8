/**
 * The contract between the `TucoWebhook` construct and what reads its synthesized output
 * (`tuco-webhooks drift`): which trigger keys hold which JSON, and how a value is written
 * into a Terraform JSON string. This module never imports cdktf, so the CLI can load it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TucoError } from "../api/errors";
import type { WebhookEvent } from "../api/types";
import type { HealthCheckPolicy } from "../webhook/health";
import { HEALTH_CHECK_POLICIES } from "../webhook/health";
import { checkOwnerPart } from "../webhook/ownership";
import { validateWebhookSpec, type WebhookSpec } from "../webhook/spec";

/** The trigger key that holds a webhook's desired state (JSON of `DeclaredWebhook`). */
export const WEBHOOK_TRIGGER = "tuco_webhook";
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

const RECIPIENT = /^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/;

/** Whether `value` looks like an age X25519 recipient (`age1` + 58 bech32 characters). */
export function isAgeRecipient(value: unknown): value is string {
  return typeof value === "string" && RECIPIENT.test(value);
}

/** True for an age SECRET key (`AGE-SECRET-KEY-1...`, any case): a value no message may repeat. */
export function isAgeSecretKey(value: unknown): boolean {
  return typeof value === "string" && /^\s*AGE-SECRET-KEY-/i.test(value);
}

/** What an error message may say about recipients that failed validation: never an age secret key. */
export function showRecipients(recipients: unknown): string {
  const list = Array.isArray(recipients) ? recipients : [recipients];
  return JSON.stringify(list.map((r) => (isAgeSecretKey(r) ? "AGE-SECRET-KEY-1... (a SECRET key, not repeated here)" : r)));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks a declared webhook read back from a file; throws `SynthesizedStackError` naming what is wrong. */
export function checkDeclaredWebhook(file: string, where: string, value: unknown): DeclaredWebhook {
  const bad = (what: string): never => {
    throw new SynthesizedStackError(file, `${where}: ${what}. Synthesize the stack again (cdktf synth) instead of editing cdk.tf.json by hand.`);
  };
  if (!isRecord(value)) return bad("the webhook declaration is not a JSON object");
  for (const field of ["stack", "key"] as const) {
    const v = value[field];
    if (typeof v !== "string") return bad(`"${field}" is missing or not a string`);
    try {
      checkOwnerPart(field, v);
    } catch (err) {
      return bad((err as Error).message);
    }
  }
  const checked = validateWebhookSpec(value);
  if (checked.spec === undefined) return bad(checked.failures.map((f) => f.message).join("; "));
  const spec: WebhookSpec = checked.spec;
  const healthCheck = value.healthCheck ?? "fail";
  if (!HEALTH_CHECK_POLICIES.includes(healthCheck as HealthCheckPolicy)) return bad(`healthCheck ${JSON.stringify(healthCheck)} is not one of fail, warn, skip`);
  const seal = value.seal;
  if (!isRecord(seal) || !Array.isArray(seal.recipients) || typeof seal.path !== "string") return bad(`"seal" must be {"recipients": ["age1..."], "path": "..."}`);
  const recipients = seal.recipients;
  if (recipients.length === 0 || !recipients.every(isAgeRecipient)) return bad(`seal.recipients ${showRecipients(recipients)} must list age X25519 recipients (age1...)`);
  return {
    stack: value.stack as string,
    key: value.key as string,
    name: spec.name,
    url: spec.url,
    events: spec.events,
    description: spec.description,
    isActive: spec.isActive,
    healthCheck: healthCheck as HealthCheckPolicy,
    seal: { recipients: recipients as string[], path: seal.path },
  };
}

function parseTrigger(file: string, where: string, raw: unknown): unknown {
  if (typeof raw !== "string") throw new SynthesizedStackError(file, `${where} is not a string. Synthesize the stack again (cdktf synth).`);
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new SynthesizedStackError(file, `${where} is not valid JSON (${(err as Error).message}). Synthesize the stack again (cdktf synth).`);
  }
}

/** Reads the webhooks a synthesized stack declares, from a `cdk.tf.json` file or the stack's directory. */
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
      code === "ENOENT" ? "no such file: run `cdktf synth` first and pass cdktf.out/stacks/<stack>" : `cannot read it (${code ?? (err as Error).message})`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SynthesizedStackError(file, `not valid JSON (${(err as Error).message}). Synthesize the stack again (cdktf synth).`);
  }
  if (!isRecord(doc)) throw new SynthesizedStackError(file, "not a Terraform JSON configuration (expected an object)");
  const resources = doc.resource ?? {};
  if (!isRecord(resources)) throw new SynthesizedStackError(file, `"resource" is not an object`);
  const webhooks: DeclaredWebhook[] = [];
  let prune: DeclaredPrune | undefined;
  for (const type of ["null_resource", "terraform_data"]) {
    const byName = resources[type];
    if (byName === undefined) continue;
    if (!isRecord(byName)) throw new SynthesizedStackError(file, `resource.${type} is not an object`);
    for (const [name, body] of Object.entries(byName)) {
      if (!isRecord(body)) continue;
      const triggers = type === "null_resource" ? body.triggers : body.triggers_replace;
      if (!isRecord(triggers)) continue;
      const where = `resource.${type}.${name}`;
      if (WEBHOOK_TRIGGER in triggers) {
        webhooks.push(checkDeclaredWebhook(file, where, parseTrigger(file, `${where} trigger ${WEBHOOK_TRIGGER}`, triggers[WEBHOOK_TRIGGER])));
      } else if (PRUNE_TRIGGER in triggers) {
        const p = parseTrigger(file, `${where} trigger ${PRUNE_TRIGGER}`, triggers[PRUNE_TRIGGER]);
        if (!isRecord(p) || typeof p.stack !== "string" || !Array.isArray(p.keep) || !p.keep.every((k) => typeof k === "string")) {
          throw new SynthesizedStackError(file, `${where}: the prune declaration must be {"stack": "...", "keep": [...]}. Synthesize the stack again (cdktf synth).`);
        }
        prune = { stack: p.stack, keep: p.keep as string[] };
      }
    }
  }
  const stacks = new Set([...webhooks.map((w) => w.stack), ...(prune ? [prune.stack] : [])]);
  if (stacks.size === 0) throw new SynthesizedStackError(file, "declares no Tuco webhook (no TucoWebhook construct was synthesized into this stack)");
  if (stacks.size > 1) throw new SynthesizedStackError(file, `declares webhooks of several stacks (${[...stacks].join(", ")}): one cdk.tf.json holds one stack`);
  const keys = new Set<string>();
  for (const w of webhooks) {
    if (keys.has(w.key)) throw new SynthesizedStackError(file, `declares the key ${JSON.stringify(w.key)} twice`);
    keys.add(w.key);
  }
  webhooks.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { file, stack: [...stacks][0], webhooks, prune };
}
