import { readSynthesizedStack } from "../../cdktf/synthesized-stack";
import { checkDrift, fixDrift, type DriftEntry, type DriftReport } from "../../webhook/drift";
import { apiEnvironmentHelp, clientFromEnv, defineCommand } from "../command";
import { UsageError, parseFlags } from "../flags";
import { printJson, printText, withhold } from "../output";

const HELP = `
Usage: tuco-webhooks drift <cdktf.out/stacks/NAME | .../cdk.tf.json> [--fix] [--json]

Compares the webhooks a synthesized CDKTF stack declares (TucoWebhook constructs) with the live
webhooks that carry the stack's ownership marker ([tuco-webhooks stack=<stack> key=<key>], the
last line of their description). Terraform's own plan cannot see changes made outside Terraform
to these webhooks: run this in the pipeline before or after terraform apply.

Checked per declared webhook: url, events, isActive, name, description (the part before the marker).
Also listed: webhooks the stack owns but no longer declares, declared ones missing in Tuco, and
several live webhooks carrying the same marker. Webhooks without the stack's marker are never read
as the stack's and never touched.

Output (stdout), one line per difference, like a plan:
  ~ webhook <key> (<id>): url "<live>" -> "<declared>", isActive false -> true
  - webhook <key> (<id>): owned by stack "<stack>" but no longer declared
  + webhook <key>: declared but missing
  - webhook <key> (<id>): duplicate (the oldest, <id>, is kept)
  --json              print one JSON document instead:
                      {"stack","file","inSync",webhooks:[{"key","status":"in-sync"|"drifted"|"missing"|
                       "undeclared"|"duplicate","id","changes":[{"field","live","declared"}]}],"fixed"}
  --fix               put the live state back: PATCH drifted webhooks, delete undeclared ones and
                      duplicates, create missing ones exactly like \`apply\` (sealing the new secret).

${apiEnvironmentHelp(true)}
Exit codes: 0 in sync (or everything fixed with --fix), 2 drift found, 1 error (bad file, API failure).
`;

function show(value: unknown): string {
  return JSON.stringify(value);
}

/** The plan-like text of a report: one line per difference, then a summary line. */
export function formatDrift(report: DriftReport): string {
  const lines: string[] = [];
  for (const e of report.webhooks) {
    if (e.status === "drifted") lines.push(`~ webhook ${e.key} (${e.id}): ${e.changes.map((c) => `${c.field} ${show(c.live)} -> ${show(c.declared)}`).join(", ")}`);
    else if (e.status === "missing") lines.push(`+ webhook ${e.key}: declared but missing`);
    else if (e.status === "undeclared") lines.push(`- webhook ${e.key} (${e.id}): owned by stack "${report.stack}" but no longer declared`);
    else if (e.status === "duplicate") {
      const kept = report.webhooks.find((k) => k.key === e.key && k.status !== "duplicate");
      lines.push(`- webhook ${e.key} (${e.id}): duplicate (the oldest, ${kept?.id}, is kept)`);
    }
  }
  const count = (s: DriftEntry["status"]) => report.webhooks.filter((e) => e.status === s).length;
  const declared = report.webhooks.filter((e) => e.status !== "undeclared" && e.status !== "duplicate").length;
  lines.push(
    report.inSync
      ? `Stack "${report.stack}": ${declared} webhook${declared === 1 ? "" : "s"} in sync, no drift.`
      : `Stack "${report.stack}": drift: ${count("drifted")} changed, ${count("missing")} missing, ${count("undeclared")} undeclared, ${count("duplicate")} duplicate (${count("in-sync")} in sync).`,
  );
  return lines.join("\n");
}

export const command = defineCommand("drift", "compare a synthesized CDKTF stack with the live webhooks (exit 2 on drift)", HELP, async (args, log) => {
  const { values, positionals } = parseFlags("drift", args, { fix: { type: "boolean" }, json: { type: "boolean" } }, true);
  if (positionals.length !== 1) {
    throw new UsageError(`expected one argument, the synthesized stack (cdktf.out/stacks/NAME), got ${positionals.length}: run \`tuco-webhooks drift --help\``);
  }
  const declared = readSynthesizedStack(positionals[0]);
  const client = clientFromEnv(log);
  try {
    const report = await checkDrift(client, declared.stack, declared.webhooks);
    const shown = (r: DriftReport) => ({ stack: r.stack, file: declared.file, inSync: r.inSync, webhooks: r.webhooks });
    if (report.inSync || !values.fix) {
      if (values.json) printJson({ ...shown(report), fixed: false });
      else printText(formatDrift(report));
      return report.inSync ? 0 : 2;
    }
    if (!values.json) printText(formatDrift(report));
    await fixDrift(client, declared.webhooks, report, { log, onSecret: withhold });
    const after = await checkDrift(client, declared.stack, declared.webhooks);
    if (values.json) printJson({ ...shown(after), fixed: after.inSync, before: shown(report) });
    else printText(after.inSync ? `Fixed: stack "${after.stack}" is in sync.` : `Still drifting after --fix:\n${formatDrift(after)}`);
    return after.inSync ? 0 : 2;
  } finally {
    await client.close();
  }
});
