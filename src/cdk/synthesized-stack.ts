/**
 * Reads a synthesized stack (`cdktf.out/stacks/<stack>/cdk.tf.json`, where cdktf and CDK Terrain
 * (cdktn) alike write it, in the same format) as `tuco-webhooks drift` needs
 * it: the webhooks it declares and its prune resource, each checked with the one declaration check.
 * Rejects, naming the file, the resource and the field, any content `TucoWebhook` does not write
 * (a hand edit): invalid declarations, triggers and provisioners that disagree, copied resources.
 * This module imports neither cdktf nor cdktn, so the CLI can load it. Over 300 lines because each
 * tamper check of the one file format names the file, the resource and the field it found wrong.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TucoError } from "../api/errors";
import { showValue } from "../private/text";
import { DECLARATION_FIELDS, checkDeclaration, declarationJson, type WebhookDeclaration } from "../webhook/declaration";
import { describeProblems } from "../webhook/problems";
import {
  DECLARATION_ENV,
  INSTANCE_ENV,
  INSTANCE_ID,
  INSTANCE_OUTPUT,
  INSTANCE_TRIGGER,
  PRUNE_ID,
  PRUNE_TRIGGER,
  WEBHOOK_TRIGGER,
  deleteArgs,
  idReference,
  parseCliCommand,
  pruneArgs,
  runsTucoCli,
  selfInstanceReference,
  shellQuote,
  sweepEnvironment,
  type DeclaredPrune,
} from "./contract";
import { triggersFieldOf } from "./resources";

/** A synthesized stack as far as Tuco webhooks are concerned. */
export interface SynthesizedStack {
  /** The file read. */
  readonly file: string;
  /** The stack's folder (where `terraform` runs). */
  readonly dir: string;
  /** The address of the stack's instance resource (`terraform_data.TucoWebhooksInstance`), whose id in the state is the stack instance; undefined in a stack without webhooks. */
  readonly instanceAddress: string | undefined;
  readonly stack: string;
  /** Declared webhooks, sorted by key. */
  readonly webhooks: WebhookDeclaration[];
  /** The prune resource's declaration, when the stack has one. */
  readonly prune: DeclaredPrune | undefined;
}

/** A synthesized stack could not be read: `file` names it, the message says what is wrong. */
export class SynthesizedStackError extends TucoError {
  readonly code = "INVALID_STACK";
  readonly file: string;
  constructor(file: string, what: string) {
    super(`${file}: ${what}`);
    this.file = file;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const RESYNTH = "Synthesize the stack again (cdktf synth, or cdktn synth under CDK Terrain) instead of editing cdk.tf.json by hand.";

/** Checks a declared webhook read back from a file; throws `SynthesizedStackError` naming every bad field. */
function checkDeclaredWebhook(file: string, where: string, value: unknown): WebhookDeclaration {
  if (!isRecord(value)) throw new SynthesizedStackError(file, `${where}: the webhook declaration ${showValue(value)} is not a JSON object. ${RESYNTH}`);
  const result = checkDeclaration(value);
  if (result.value === undefined) throw new SynthesizedStackError(file, `${where}: ${describeProblems(result.problems)}. ${RESYNTH}`);
  return result.value;
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

/** Whether a resource is one of ours: it carries our trigger, or its provisioners run the tuco-webhooks CLI. */
function isTucoResource(body: Record<string, unknown>): boolean {
  for (const key of ["triggers", "triggers_replace"]) {
    const t = body[key];
    if (isRecord(t) && (WEBHOOK_TRIGGER in t || PRUNE_TRIGGER in t)) return true;
  }
  return localExecs(body).some((p) => runsTucoCli(p.command));
}

/** The first field that differs between two declarations, for a message; undefined when equal. */
function firstDifference(declaredA: WebhookDeclaration, declaredB: WebhookDeclaration): { field: string; a: unknown; b: unknown } | undefined {
  const a = declarationJson(declaredA);
  const b = declarationJson(declaredB);
  for (const field of DECLARATION_FIELDS) {
    if (JSON.stringify(a[field]) !== JSON.stringify(b[field])) return { field, a: a[field], b: b[field] };
  }
  return undefined;
}

/**
 * Checks that a resource's trigger and provisioners carry the stack instance exactly as the
 * construct writes them: the trigger references the instance resource's id, and both provisioners
 * get it from their own trigger through `self`, so apply, delete and prune act for this state's
 * instance only.
 */
function checkInstanceWiring(file: string, where: string, triggersField: "triggers" | "triggers_replace", body: Record<string, unknown>, triggers: Record<string, unknown>, instance: string | undefined, extraEnv: string[]): void {
  const bad = (what: string): never => {
    throw new SynthesizedStackError(file, `${where}: ${what}. ${RESYNTH}`);
  };
  if (instance === undefined) bad(`the stack has no output ${INSTANCE_OUTPUT} naming its instance resource`);
  if (triggers[INSTANCE_TRIGGER] !== instance) bad(`trigger ${INSTANCE_TRIGGER} ${showValue(triggers[INSTANCE_TRIGGER])} must be ${showValue(instance)}, the stack's instance resource`);
  const self = selfInstanceReference(triggersField);
  for (const p of localExecs(body)) {
    const env = p.environment;
    const expected = p.when === "destroy" ? [INSTANCE_ENV] : [...extraEnv, INSTANCE_ENV];
    const names = Object.keys(env).sort();
    if (JSON.stringify(names) !== JSON.stringify([...expected].sort()) || env[INSTANCE_ENV] !== self) {
      bad(`its ${p.when === "destroy" ? "destroy" : "create"}-time provisioner environment must be ${expected.join(" and ")} with ${INSTANCE_ENV} ${showValue(self)} (found ${showValue(env)})`);
    }
  }
}

/**
 * Checks that what a webhook resource's provisioners run is what its trigger declares: the create
 * command is `apply` with TUCO_WEBHOOK_SPEC equal to the trigger, the destroy command deletes the
 * same stack and key. A hand edit of one but not the other would make Terraform apply one webhook
 * while drift compares another.
 */
function checkWebhookProvisioners(file: string, where: string, body: Record<string, unknown>, declared: WebhookDeclaration): void {
  const bad = (what: string): never => {
    throw new SynthesizedStackError(file, `${where}: ${what}. ${RESYNTH}`);
  };
  const execs = localExecs(body);
  const create = execs.filter((p) => p.when === undefined);
  const destroy = execs.filter((p) => p.when === "destroy");
  if (create.length !== 1 || parseCliCommand(create[0].command)?.sub !== "apply" || parseCliCommand(create[0].command)?.rest !== "") {
    bad(`its create-time provisioner must be the one command \`exec node '<cli>' apply\` (found ${showValue(create.map((p) => p.command))})`);
  }
  const env = create[0].environment[DECLARATION_ENV];
  const fromEnv = checkDeclaredWebhook(file, `${where} provisioner environment ${DECLARATION_ENV}`, parseTrigger(file, `${where} provisioner environment ${DECLARATION_ENV}`, env));
  const diff = firstDifference(declared, fromEnv);
  if (diff) {
    bad(`the provisioner environment ${DECLARATION_ENV} (what apply runs with) has ${diff.field} ${showValue(diff.b)}, but trigger ${WEBHOOK_TRIGGER} (what drift and Terraform's plan read) has ${showValue(diff.a)}`);
  }
  const expected = deleteArgs(declared.owner.stack, declared.owner.key);
  const del = destroy.length === 1 ? parseCliCommand(destroy[0].command) : undefined;
  if (del?.sub !== "delete" || del.rest !== expected) {
    bad(`its destroy-time provisioner must be \`exec node '<cli>' delete ${expected}\`, the stack and key of its trigger (found ${showValue(destroy.map((p) => p.command))})`);
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
  const expectedCreate = pruneArgs(prune.stack, keys);
  const call = create.length === 1 ? parseCliCommand(create[0].command) : undefined;
  if (call?.sub !== "prune" || call.rest !== expectedCreate) {
    bad(`its create-time provisioner must be \`exec node '<cli>' prune ${expectedCreate}\`, the keys of its trigger (found ${showValue(create.map((p) => p.command))})`);
  }
  const expectedDestroy = pruneArgs(prune.stack, []);
  const del = destroy.length === 1 ? parseCliCommand(destroy[0].command) : undefined;
  if (del?.sub !== "prune" || del.rest !== expectedDestroy) {
    bad(`its destroy-time provisioner must be \`exec node '<cli>' prune ${expectedDestroy}\` (found ${showValue(destroy.map((p) => p.command))})`);
  }
}

/**
 * The stack instance as the file references it: the value of output `tuco_webhooks_instance`, which
 * must be the id of a plain null_resource or terraform_data in the file (no triggers; its one
 * provisioner, the sweep, is checked by `checkInstanceSweep`). Undefined when the file has no such output.
 */
function instanceReferenceOf(file: string, doc: Record<string, unknown>, resources: Record<string, unknown>): string | undefined {
  const outputs = isRecord(doc.output) ? doc.output : {};
  const output = outputs[INSTANCE_OUTPUT];
  if (output === undefined) return undefined;
  const value = isRecord(output) ? output.value : undefined;
  const m = typeof value === "string" ? /^\$\{(null_resource|terraform_data)\.([A-Za-z0-9_-]+)\.id\}$/.exec(value) : null;
  const target = m ? (resources[m[1]] as Record<string, unknown> | undefined)?.[m[2]] : undefined;
  if (!m || !isRecord(target) || target.triggers !== undefined || target.triggers_replace !== undefined) {
    throw new SynthesizedStackError(file, `output.${INSTANCE_OUTPUT} ${showValue(output)} must be the id of the stack's instance resource (a plain null_resource or terraform_data). ${RESYNTH}`);
  }
  return idReference(m[1], m[2]);
}

/**
 * Checks the instance resource's provisioners: none (a stack synthesized before the sweep), or the
 * one destroy-time sweep the construct writes, `prune` of every webhook of the stack with the
 * instance's own id: a hand edit there would delete webhooks at destroy that the stack does not own.
 */
function checkInstanceSweep(file: string, where: string, body: Record<string, unknown>, stack: string): void {
  if (body.provisioner === undefined) return;
  const execs = localExecs(body);
  const expected = pruneArgs(stack, []);
  const sweep = execs.length === 1 && execs[0].when === "destroy" ? parseCliCommand(execs[0].command) : undefined;
  const listed = Array.isArray(body.provisioner) ? body.provisioner.length : -1;
  if (listed !== 1 || sweep?.sub !== "prune" || sweep.rest !== expected || JSON.stringify(execs[0].environment) !== JSON.stringify(sweepEnvironment())) {
    throw new SynthesizedStackError(
      file,
      `${where}: its one provisioner must be the destroy-time \`exec node '<cli>' prune ${expected}\` with ${INSTANCE_ENV} "\${self.id}" (found ${showValue(execs.map((p) => p.command))}). ${RESYNTH}`,
    );
  }
}

/** `terraform_data.X` of `${terraform_data.X.id}`. */
function addressOf(reference: string): string {
  return reference.slice(2, -4);
}

/** The stacks synthesized under `dir` (its folders that hold a cdk.tf.json), sorted. */
function stacksIn(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, "cdk.tf.json"))).map((e) => e.name).sort();
}

/**
 * Throws, listing its stacks and the command for one, when `dir` (which holds no cdk.tf.json) is
 * cdktf's output folder (`cdktf.out`, with `stacks/`) or its `stacks` folder, a likely mistake.
 */
function checkNotAnOutdir(dir: string): void {
  const stacksDir = fs.existsSync(path.join(dir, "stacks")) ? path.join(dir, "stacks") : dir;
  const stacks = stacksIn(stacksDir);
  if (stacks.length === 0) {
    if (stacksDir !== dir) throw new SynthesizedStackError(dir, `this is cdktf's output folder, but its stacks folder holds no synthesized stack: run \`cdktf synth\` first and pass cdktf.out/stacks/<stack>`);
    return;
  }
  const shown = (p: string) => (/^[A-Za-z0-9._/-]+$/.test(p) ? p : shellQuote(p));
  const names = stacks.map((n) => (/^[A-Za-z0-9._-]+$/.test(n) ? n : showValue(n))).join(", ");
  const folder = stacksDir === dir ? "a folder of synthesized stacks" : "cdktf's output folder";
  throw new SynthesizedStackError(
    dir,
    `this is ${folder}, not one stack's, holding ${stacks.length === 1 ? "the stack" : "the stacks"} ${names}: ` +
      `run \`tuco-webhooks drift ${shown(path.join(stacksDir, stacks[0]))}\`${stacks.length > 1 ? " (one stack per run)" : ""}`,
  );
}

/**
 * Reads the webhooks a synthesized stack declares, from a `cdk.tf.json` file or the stack's directory.
 * Rejects, naming the file, the resource and the field, any content `TucoWebhook` does not write:
 * invalid declarations, and provisioners that would run something other than what the triggers say.
 */
export function readSynthesizedStack(fileOrDir: string): SynthesizedStack {
  let file = fileOrDir;
  if (fs.existsSync(fileOrDir) && fs.statSync(fileOrDir).isDirectory()) {
    file = path.join(fileOrDir, "cdk.tf.json");
    if (!fs.existsSync(file)) checkNotAnOutdir(fileOrDir);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SynthesizedStackError(
      file,
      code === "ENOENT"
        ? "no such file: run `cdktf synth` first (`cdktn synth` under CDK Terrain) and pass cdktf.out/stacks/<stack>"
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
  const instance = instanceReferenceOf(file, doc, resources);
  const webhooks: { declared: WebhookDeclaration; where: string }[] = [];
  let prune: { declared: DeclaredPrune; where: string; body: Record<string, unknown> } | undefined;
  let instanceBody: { where: string; body: Record<string, unknown> } | undefined;
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
      // The instance resource: the one the output names, or (output removed: an error below) the construct's own.
      if (instance !== undefined ? `${type}.${name}` === addressOf(instance) : name === INSTANCE_ID && body.triggers === undefined && body.triggers_replace === undefined) {
        instanceBody = { where, body };
        continue;
      }
      if (!isTucoResource(body)) continue;
      if (type !== "null_resource" && type !== "terraform_data") {
        throw new SynthesizedStackError(file, `${where} runs tuco-webhooks provisioners but is a ${type}: TucoWebhook synthesizes null_resource or terraform_data. ${RESYNTH}`);
      }
      const triggersField = triggersFieldOf(type);
      const triggers = body[triggersField];
      if (!isRecord(triggers)) {
        throw new SynthesizedStackError(file, `${where}.${triggersField} ${showValue(triggers)} must hold trigger ${WEBHOOK_TRIGGER} or ${PRUNE_TRIGGER}. ${RESYNTH}`);
      }
      if (WEBHOOK_TRIGGER in triggers) {
        const declared = checkDeclaredWebhook(file, where, parseTrigger(file, `${where} trigger ${WEBHOOK_TRIGGER}`, triggers[WEBHOOK_TRIGGER]));
        checkWebhookProvisioners(file, where, body, declared);
        checkInstanceWiring(file, where, triggersField, body, triggers, instance, [DECLARATION_ENV]);
        webhooks.push({ declared, where });
      } else if (PRUNE_TRIGGER in triggers) {
        const p = parseTrigger(file, `${where} trigger ${PRUNE_TRIGGER}`, triggers[PRUNE_TRIGGER]);
        if (!isRecord(p) || typeof p.stack !== "string" || !Array.isArray(p.keep) || !p.keep.every((k) => typeof k === "string")) {
          throw new SynthesizedStackError(file, `${where} trigger ${PRUNE_TRIGGER} ${showValue(p)} must be {"stack": "...", "keep": [...]}. ${RESYNTH}`);
        }
        if (prune) throw new SynthesizedStackError(file, `${where} is a second prune resource (the first is ${prune.where}): a stack has one. ${RESYNTH}`);
        checkInstanceWiring(file, where, triggersField, body, triggers, instance, []);
        prune = { declared: { stack: p.stack, keep: p.keep as string[] }, where, body };
      } else {
        throw new SynthesizedStackError(file, `${where}.${triggersField} holds neither trigger ${WEBHOOK_TRIGGER} nor ${PRUNE_TRIGGER}, yet its provisioners run tuco-webhooks. ${RESYNTH}`);
      }
    }
  }
  const stacks = new Set([...webhooks.map((w) => w.declared.owner.stack), ...(prune ? [prune.declared.stack] : [])]);
  if (stacks.size === 0) throw new SynthesizedStackError(file, "declares no Tuco webhook (no TucoWebhook construct was synthesized into this stack)");
  if (stacks.size > 1) throw new SynthesizedStackError(file, `declares webhooks of several stacks (${[...stacks].join(", ")}): one cdk.tf.json holds one stack. ${RESYNTH}`);
  const keys = new Map<string, string>();
  for (const w of webhooks) {
    const { key } = w.declared.owner;
    const twin = keys.get(key);
    if (twin) throw new SynthesizedStackError(file, `${w.where} declares the key ${JSON.stringify(key)}, which ${twin} declares too. ${RESYNTH}`);
    keys.set(key, w.where);
  }
  if (webhooks.length > 0 && !prune) {
    throw new SynthesizedStackError(file, `declares webhooks but no prune resource (${PRUNE_ID}): webhooks removed from the program would never be deleted. ${RESYNTH}`);
  }
  if (prune) checkPrune(file, prune.where, prune.body, prune.declared, [...keys.keys()]);
  if (instanceBody) checkInstanceSweep(file, instanceBody.where, instanceBody.body, [...stacks][0]);
  const declared = webhooks.map((w) => w.declared).sort((a, b) => (a.owner.key < b.owner.key ? -1 : a.owner.key > b.owner.key ? 1 : 0));
  return { file, dir: path.dirname(file), instanceAddress: instance === undefined ? undefined : addressOf(instance), stack: [...stacks][0], webhooks: declared, prune: prune?.declared };
}
