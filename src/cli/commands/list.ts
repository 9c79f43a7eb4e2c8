import { checkOwnerPart, readOwners, type Owner } from "../../webhook/ownership";
import { apiEnvironmentHelp, clientFromEnv, defineCommand } from "../command";
import { UsageError, parseFlags } from "../flags";
import { printJson, printText } from "../output";

const HELP = `
Usage: tuco-webhooks list [--stack S] [--json]

Lists the workspace's webhooks, newest first, with their ownership marker.

  --stack S   only the webhooks marked with stack S
  --json      print {"webhooks":[{"id","name","url","events","isActive","failureCount",
              "description","owner":{"stack","key"}|null,"createdAt"}]} on stdout
              (description is the user's text, without the marker)

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
  readonly owner: Owner | null;
  readonly createdAt: string;
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
      .filter((t) => values.stack === undefined || t.owner?.stack === values.stack)
      .map(({ webhook: w, description, owner }) => ({
        id: w.id,
        name: w.name,
        url: w.url,
        events: w.events,
        isActive: w.isActive,
        failureCount: w.failureCount,
        description,
        owner: owner ?? null,
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
    const lines = rows.map((r) =>
      [r.id, r.owner ? `${r.owner.stack}/${r.owner.key}` : "-", r.isActive ? "active" : "paused", `failures=${r.failureCount}`, JSON.stringify(r.name), r.url, r.events.join(",")].join("  "),
    );
    printText(["ID  OWNER(stack/key)  STATE  FAILURES  NAME  URL  EVENTS", ...lines].join("\n"));
  }
  return 0;
});
