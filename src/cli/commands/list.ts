import { quoteUntrusted, showId } from "../../private/text";
import { checkOwnerPart, readOwners, type Claim, type MarkerOwner } from "../../webhook/ownership";
import { apiEnvironmentHelp, clientFromEnv, defineCommand } from "../command";
import { UsageError, parseFlags } from "../flags";
import { printJson, printText } from "../output";

const HELP = `
Usage: tuco-webhooks list [--stack S] [--json]

Lists the workspace's webhooks, newest first, with who owns them by their ownership marker:
a CDKTF stack instance (stack/key@instance), a Pulumi resource (pulumi:project/stack), or nobody.
A marker that is not provably the webhook's own proves nothing and says so (copy, 0.1, unreadable).
Names, urls and descriptions come from the API: they are printed quoted, with control,
direction and invisible characters escaped.

  --stack S   only the webhooks whose marker names stack S (any instance)
  --json      print {"webhooks":[{"id","name","url","events","isActive","failureCount",
              "description","owner":{...}|null,"claim","createdAt"}]} on stdout
              (description is the user's text, without the marker; claim is owned, pending,
              copy, legacy, unreadable or none)

${apiEnvironmentHelp(false)}
Exit codes: 0 listed, 1 error.
`;

/** One row of `list --json`. */
export interface ListedWebhook {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly isActive: boolean;
  readonly failureCount: number;
  readonly description: string | null;
  readonly owner: MarkerOwner | null;
  readonly claim: Claim;
  readonly createdAt: string;
}

/** The OWNER column: who the marker names, and what it proves when that is not ownership. */
function ownerColumn(row: ListedWebhook): string {
  const o = row.owner;
  if (!o) return row.claim === "unreadable" ? "(unreadable marker)" : "-";
  const who = o.tool === "pulumi" ? `pulumi:${o.pulumi}` : o.tool === "legacy" ? `${o.stack}/${o.key}` : `${o.stack}/${o.key}@${o.instance}`;
  const note = row.claim === "owned" ? "" : row.claim === "pending" ? " (pending)" : row.claim === "legacy" ? " (0.1 marker)" : " (copied marker)";
  return who + note;
}

/** Aligns columns: every column but the last padded to its widest cell. */
function table(rows: readonly string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell + " ".repeat(widths[i] - [...cell].length))).join("  ").trimEnd()).join("\n");
}

export const command = defineCommand("list", "list the workspace's webhooks and who owns them", HELP, async (args, log) => {
  const { values } = parseFlags("list", args, { stack: { type: "string" }, json: { type: "boolean" } });
  if (values.stack !== undefined) {
    const stack = checkOwnerPart("stack", values.stack, "--stack");
    if (stack.value === undefined) throw new UsageError(stack.problems[0].message);
  }
  const client = clientFromEnv(log);
  let rows: ListedWebhook[];
  try {
    rows = readOwners(await client.list())
      .filter((t) => values.stack === undefined || (t.marker?.owner.tool !== "pulumi" && t.marker?.owner.stack === values.stack))
      .map(({ webhook: w, description, marker, claim }) => ({
        id: w.id,
        name: w.name,
        url: w.url,
        events: w.events,
        isActive: w.isActive,
        failureCount: w.failureCount,
        description,
        owner: marker?.owner ?? null,
        claim,
        createdAt: w.createdAt,
      }));
  } finally {
    await client.close();
  }
  if (values.json) {
    printJson({ webhooks: rows });
  } else if (rows.length === 0) {
    printText("no webhooks");
  } else {
    const cells = rows.map((r) => [
      showId(String(r.id)),
      ownerColumn(r),
      r.isActive ? "active" : "paused",
      String(r.failureCount),
      quoteUntrusted(String(r.name)),
      quoteUntrusted(String(r.url)),
      (Array.isArray(r.events) ? r.events : []).map((e) => quoteUntrusted(String(e)).slice(1, -1)).join(","),
    ]);
    printText(table([["ID", "OWNER", "STATE", "FAILURES", "NAME", "URL", "EVENTS"], ...cells]));
  }
  return 0;
});
