import type { TucoClient } from "../../api/client";
import { TucoNotFoundError } from "../../api/errors";
import type { UpdateWebhookInput } from "../../api/types";
import { readSynthesizedStack, type DeclaredWebhook, type SynthesizedStack } from "../../cdktf/synthesized-stack";
import { diffWebhook } from "../../webhook/diff";
import { withOwnerTag } from "../../webhook/ownership";
import type { WebhookField } from "../../webhook/spec";
import { UsageError, clientFromEnv, defineCommand, parseFlags, printJson, printText, apiEnvironmentHelp } from "../args";
import { oldestFirst, tagged, type TaggedWebhook } from "../owned";
import { applyWebhook, parseApplyRequest } from "./apply";

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

/** One declared or owned webhook and how it compares. */
export interface DriftEntry {
  readonly key: string;
  readonly status: "in-sync" | "drifted" | "missing" | "undeclared" | "duplicate";
  /** The live webhook's id (null when missing). */
  readonly id: string | null;
  readonly changes: { field: WebhookField; live: unknown; declared: unknown }[];
}

/** The whole comparison of a stack. */
export interface DriftReport {
  readonly stack: string;
  readonly file: string;
  readonly inSync: boolean;
  readonly webhooks: DriftEntry[];
}

/** Compares a synthesized stack with the live workspace. Reads only. */
export async function checkDrift(client: Pick<TucoClient, "list">, declared: SynthesizedStack): Promise<DriftReport> {
  const owned = tagged(await client.list())
    .filter((t) => t.owner?.stack === declared.stack)
    .sort(oldestFirst);
  const byKey = new Map<string, TaggedWebhook[]>();
  for (const t of owned) byKey.set(t.owner!.key, [...(byKey.get(t.owner!.key) ?? []), t]);
  const entries: DriftEntry[] = [];
  for (const want of declared.webhooks) {
    const [live, ...duplicates] = byKey.get(want.key) ?? [];
    byKey.delete(want.key);
    if (!live) {
      entries.push({ key: want.key, status: "missing", id: null, changes: [] });
      continue;
    }
    const diff = diffWebhook(want, { ...live.webhook, description: live.description });
    const changes = diff.changed.map((field) => ({ field, live: field === "description" ? live.description : live.webhook[field], declared: want[field] }));
    entries.push({ key: want.key, status: changes.length ? "drifted" : "in-sync", id: live.webhook.id, changes });
    for (const dup of duplicates) entries.push({ key: want.key, status: "duplicate", id: dup.webhook.id, changes: [] });
  }
  for (const [key, lives] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const live of lives) entries.push({ key, status: "undeclared", id: live.webhook.id, changes: [] });
  }
  return { stack: declared.stack, file: declared.file, inSync: entries.every((e) => e.status === "in-sync"), webhooks: entries };
}

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

/** Puts the live state back to the declaration. Every step is idempotent; a webhook already gone counts as deleted. */
export async function fixDrift(client: TucoClient, declared: SynthesizedStack, report: DriftReport, log: (m: string) => void): Promise<void> {
  const byKey = new Map<string, DeclaredWebhook>(declared.webhooks.map((w) => [w.key, w]));
  for (const e of report.webhooks) {
    if (e.status === "drifted") {
      const want = byKey.get(e.key)!;
      const patch: { -readonly [K in keyof UpdateWebhookInput]: UpdateWebhookInput[K] } = {};
      for (const c of e.changes) {
        if (c.field === "description") patch.description = withOwnerTag(want.description, { stack: want.stack, key: want.key });
        else (patch as Record<string, unknown>)[c.field] = want[c.field];
      }
      await client.update(e.id!, patch);
      log(`patched webhook ${e.key} (${e.id}): ${e.changes.map((c) => c.field).join(", ")}`);
    } else if (e.status === "undeclared" || e.status === "duplicate") {
      try {
        await client.delete(e.id!);
      } catch (err) {
        if (!(err instanceof TucoNotFoundError)) throw err;
      }
      log(`deleted webhook ${e.key} (${e.id}): ${e.status}`);
    } else if (e.status === "missing") {
      const req = await parseApplyRequest(byKey.get(e.key), `declaration of ${e.key} in ${declared.file}`);
      const result = await applyWebhook(client, req, log);
      log(`${result.action} webhook ${e.key} (${result.id})${result.sealedSecretPath ? `; secret sealed to ${result.sealedSecretPath}` : ""}`);
    }
  }
}

export const command = defineCommand("drift", "compare a synthesized CDKTF stack with the live webhooks (exit 2 on drift)", HELP, async (args, log) => {
  const { values, positionals } = parseFlags("drift", args, { fix: { type: "boolean" }, json: { type: "boolean" } }, true);
  if (positionals.length !== 1) {
    throw new UsageError(`expected one argument, the synthesized stack (cdktf.out/stacks/NAME), got ${positionals.length}: run \`tuco-webhooks drift --help\``);
  }
  const declared = readSynthesizedStack(positionals[0]);
  const client = clientFromEnv(log);
  try {
    const report = await checkDrift(client, declared);
    if (report.inSync || !values.fix) {
      if (values.json) printJson({ ...report, fixed: false });
      else printText(formatDrift(report));
      return report.inSync ? 0 : 2;
    }
    if (!values.json) printText(formatDrift(report));
    await fixDrift(client, declared, report, log);
    const after = await checkDrift(client, declared);
    if (values.json) printJson({ ...after, fixed: after.inSync, before: report });
    else printText(after.inSync ? `Fixed: stack "${after.stack}" is in sync.` : `Still drifting after --fix:\n${formatDrift(after)}`);
    return after.inSync ? 0 : 2;
  } finally {
    await client.close();
  }
});
