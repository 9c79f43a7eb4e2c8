import { spawnSync } from "node:child_process";
import { readSynthesizedStack, type SynthesizedStack } from "../../cdk/synthesized-stack";
import { quoteUntrusted, showId } from "../../private/text";
import { checkDrift, fixDrift, type DriftEntry, type DriftReport } from "../../webhook/drift";
import { checkInstance } from "../../webhook/ownership";
import { INSTANCE_ENV, apiEnvironmentHelp, clientFromEnv, defineCommand, instanceGiven } from "../command";
import { UsageError, parseFlags } from "../flags";
import { printJson, printText, withhold } from "../output";

const HELP = `
Usage: tuco-webhooks drift <cdktf.out/stacks/NAME | .../cdk.tf.json> [--instance ID] [--fix] [--json]

Compares the webhooks a stack synthesized by cdktf or cdktn declares (TucoWebhook constructs) with the live
webhooks its instance owns: those whose ownership marker names the stack, the key, the instance
and the webhook's own id ([tuco-webhooks stack=S key=K instance=I id=ID sum=C]). Terraform's own plan
cannot see changes made outside Terraform to these webhooks: run this in the pipeline, once per
stack (given cdktf.out or cdktf.out/stacks, it names the stacks there and exits 1).

The stack instance is the id of the stack's instance resource in its Terraform state: --instance
ID, else ${INSTANCE_ENV}, else the id of the stack's instance resource in its state, read with
\`terraform show -json\` in the stack's folder (terraform on PATH, the folder initialized; the
API key is not passed to it). A stack never applied has no instance and owns nothing.

Checked per declared webhook: url, events, isActive, name, description (the user's text around the
marker). Also listed: webhooks the instance owns but no longer declares, creates that never
finished (their secret was never sealed), several webhooks owning one key, and, for a declared
webhook the instance does not own, what is in the way: another instance's or a 0.1 marker for the
same key, a copied marker, or an unmarked webhook with the same url and name.

Output (stdout), one line per difference, like a plan:
  ~ webhook <key> (<id>): url "<live>" -> "<declared>", isActive false -> true
  - webhook <key> (<id>): owned by this stack instance but no longer declared
  + webhook <key>: declared but missing
  + webhook <key> (<id>): a create that never finished (nobody holds its secret): apply deletes it
                      (or, when its secret is sealed here: apply confirms it)
  ! webhook <key> (<id>): in the way: <why>; adopt it or change the declaration
  - webhook <key> (<id>): duplicate
  --json              print one JSON document instead:
                      {"stack","instance","file","inSync",webhooks:[{"key","status":"in-sync"|"drifted"|
                       "missing"|"unfinished"|"in-the-way"|"undeclared"|"duplicate","id",
                       "changes":[{"field","live","declared"}],"finish"?:"confirm"|"replace"|"wait"}],
                       "fixed"}
  --fix               put the live state back: PATCH drifted webhooks, delete undeclared ones, and
                      settle the others exactly like \`apply\` (create missing ones and seal their
                      secret, replace unfinished ones, keep the duplicate whose secret is sealed
                      here); a webhook in the way is never duplicated: --fix fails naming it.
                      Each action is one line on stderr ("updated webhook <id> (key <k>): url",
                      "deleted webhook <id> (key <k>): ...", and apply's own lines); stdout gets
                      the plan, then "Fixed: stack "<s>" is in sync." once drift is checked again.

${apiEnvironmentHelp(true)}
Exit codes: 0 in sync (or everything fixed with --fix), 2 drift found, 1 error (bad file, API failure).
`;

/** A value from the declaration or the API, quoted for a line of the report. */
function show(value: unknown): string {
  return typeof value === "string" ? quoteUntrusted(value) : JSON.stringify(value);
}

/** What an unfinished create's line says, by what apply does with it. */
const UNFINISHED = {
  confirm: "a create that was stopped after sealing its secret here, before confirming it: apply confirms it",
  replace: "a create that never finished (nobody holds its secret): apply deletes it",
  wait: "being created by another run right now (not yet confirmed): apply waits for it",
} as const;

/** The plan-like text of a report: one line per difference, then a summary line. */
export function formatDrift(report: DriftReport): string {
  const lines: string[] = [];
  for (const e of report.webhooks) {
    const id = e.id === null ? "" : ` (${showId(e.id)})`;
    if (e.status === "drifted") lines.push(`~ webhook ${e.key}${id}: ${e.changes.map((c) => `${c.field} ${show(c.live)} -> ${show(c.declared)}`).join(", ")}`);
    else if (e.status === "missing") lines.push(`+ webhook ${e.key}: declared but missing`);
    else if (e.status === "unfinished") lines.push(`+ webhook ${e.key}${id}: ${UNFINISHED[e.finish ?? "replace"]}`);
    else if (e.status === "in-the-way") lines.push(`! webhook ${e.key}${id}: in the way: not this stack instance's, yet it names this key or has its url and name; adopt it (tuco-webhooks adopt --id ${showId(e.id!)} --stack ${report.stack} --key ${e.key}${report.instance === undefined ? "" : ` --instance ${report.instance}`}) or change the declaration`);
    else if (e.status === "undeclared") lines.push(`- webhook ${e.key}${id}: owned by this stack instance but no longer declared`);
    else if (e.status === "duplicate") lines.push(`- webhook ${e.key}${id}: duplicate (another webhook owns this key too)`);
  }
  const count = (s: DriftEntry["status"]) => report.webhooks.filter((e) => e.status === s).length;
  const declared = new Set(report.webhooks.filter((e) => e.status !== "undeclared").map((e) => e.key)).size;
  const instance = report.instance === undefined ? " (no instance in its Terraform state yet: never applied)" : "";
  lines.push(
    report.inSync
      ? `Stack "${report.stack}": ${declared} webhook${declared === 1 ? "" : "s"} in sync, no drift.`
      : `Stack "${report.stack}"${instance}: drift: ${count("drifted")} changed, ${count("missing")} missing, ${count("unfinished")} unfinished, ${count("in-the-way")} in the way, ${count("undeclared")} undeclared, ${count("duplicate")} duplicate (${count("in-sync")} in sync).`,
  );
  return lines.join("\n");
}

/**
 * The stack instance as its Terraform state holds it: the id of the stack's instance resource, from
 * `terraform show -json` (the state itself, also after an interrupted apply that wrote no outputs);
 * undefined when the stack was never applied.
 */
function instanceFromState(stack: SynthesizedStack, stackDir: string): string | undefined {
  const fix = `pass --instance ID or set ${INSTANCE_ENV}`;
  if (stack.instanceAddress === undefined) throw new UsageError(`${stack.file} declares no stack instance resource: synthesize it again with this version of tuco-webhooks, or ${fix}`);
  // terraform needs the state backend's settings, never the Tuco API key.
  const { TUCO_API_KEY: _key, ...env } = process.env;
  const run = spawnSync("terraform", [`-chdir=${stackDir}`, "show", "-json"], { encoding: "utf8", timeout: 120_000, env, maxBuffer: 256 * 1024 * 1024 });
  const cannot = `cannot tell which instance of stack ${stack.stack} to check`;
  if (run.error) throw new UsageError(`${cannot}: terraform could not be run to read it from the stack's state (${(run.error as NodeJS.ErrnoException).code ?? run.error.message}): ${fix}`);
  if (run.status !== 0) {
    const why = run.stderr.trim().split("\n").filter((l) => l.trim() !== "").slice(-1)[0] ?? `exit ${run.status}`;
    throw new UsageError(`${cannot}: terraform show in ${stackDir} failed (${why.trim()}): run terraform init there, or ${fix}`);
  }
  type State = { values?: { root_module?: { resources?: { address?: string; values?: { id?: unknown } }[] } } };
  let state: State;
  try {
    state = JSON.parse(run.stdout || "{}") as State;
  } catch {
    throw new UsageError(`${cannot}: terraform show -json printed no JSON: ${fix}`);
  }
  const value = state.values?.root_module?.resources?.find((r) => r.address === stack.instanceAddress)?.values?.id;
  if (value === undefined) return undefined;
  const checked = checkInstance(value, `the id of ${stack.instanceAddress} in the state`);
  if (checked.value === undefined) throw new UsageError(checked.problems[0].message);
  return checked.value;
}

export const command = defineCommand("drift", "compare a synthesized CDKTF stack with the live webhooks (exit 2 on drift)", HELP, async (args, log) => {
  const { values, positionals } = parseFlags("drift", args, { fix: { type: "boolean" }, instance: { type: "string" }, json: { type: "boolean" } }, true);
  if (positionals.length !== 1) {
    throw new UsageError(`expected one argument, the synthesized stack (cdktf.out/stacks/NAME), got ${positionals.length}: run \`tuco-webhooks drift --help\``);
  }
  const declared = readSynthesizedStack(positionals[0]);
  const instance = instanceGiven(values.instance) ?? instanceFromState(declared, declared.dir);
  if (values.fix && instance === undefined) {
    throw new UsageError(`stack ${declared.stack} has no instance in its Terraform state yet (never applied): run terraform apply, which creates its webhooks; drift --fix repairs an applied stack`);
  }
  const client = clientFromEnv(log);
  try {
    const report = await checkDrift(client, declared.stack, instance, declared.webhooks);
    const shown = (r: DriftReport) => ({ stack: r.stack, instance: r.instance ?? null, file: declared.file, inSync: r.inSync, webhooks: r.webhooks });
    if (report.inSync || !values.fix) {
      if (values.json) printJson({ ...shown(report), fixed: false });
      else printText(formatDrift(report));
      return report.inSync ? 0 : 2;
    }
    if (!values.json) printText(formatDrift(report));
    await fixDrift(client, declared.webhooks, report, { instance: instance!, log, onSecret: withhold });
    const after = await checkDrift(client, declared.stack, instance, declared.webhooks);
    if (values.json) printJson({ ...shown(after), fixed: after.inSync, before: shown(report) });
    else printText(after.inSync ? `Fixed: stack "${after.stack}" is in sync.` : `Still drifting after --fix:\n${formatDrift(after)}`);
    return after.inSync ? 0 : 2;
  } finally {
    await client.close();
  }
});
