import { deleteWebhook } from "../../webhook/lifecycle";
import { checkOwnerPart } from "../../webhook/ownership";
import { deleteOwned } from "../../webhook/prune";
import { checkWebhookId } from "../../webhook/spec";
import { apiEnvironmentHelp, clientFromEnv, defineCommand } from "../command";
import { UsageError, parseFlags } from "../flags";
import { printJson, printText } from "../output";

const HELP = `
Usage: tuco-webhooks delete (--stack S --key K | --id ID) [--json]

Deletes the webhook(s) whose ownership marker is exactly stack=S key=K, or the webhook with
that id (whatever its marker: for manual clean-up). Nothing there, or already deleted, is
success. Safe to re-run.

  --stack S --key K   the owner, as in the apply spec
  --id ID             one webhook id
  --json              print {"deleted":[{"id","name"}],"alreadyGone":boolean} on stdout

${apiEnvironmentHelp(false)}
Exit codes: 0 deleted or already gone, 1 error.
`;

/** What `delete --json` prints. */
export interface DeleteResult {
  readonly deleted: { id: string; name: string | null }[];
  readonly alreadyGone: boolean;
}

export const command = defineCommand("delete", "delete the webhook(s) of one owner (stack + key) or one id", HELP, async (args, log) => {
  const { values } = parseFlags("delete", args, { stack: { type: "string" }, key: { type: "string" }, id: { type: "string" }, json: { type: "boolean" } });
  const byOwner = values.stack !== undefined || values.key !== undefined;
  if (byOwner && values.id !== undefined) throw new UsageError("--id and --stack/--key were both given: pass --stack S --key K, or --id ID");
  if (!byOwner && values.id === undefined) throw new UsageError("nothing to delete: pass --stack S --key K, or --id ID");
  let owner: { stack: string; key: string } | undefined;
  let id: string | undefined;
  if (byOwner) {
    if (values.stack === undefined) throw new UsageError("--key given without --stack: pass both --stack S --key K");
    if (values.key === undefined) throw new UsageError("--stack given without --key: pass both --stack S --key K (use `tuco-webhooks prune` for a whole stack)");
    const stack = checkOwnerPart("stack", values.stack, "--stack");
    const key = checkOwnerPart("key", values.key, "--key");
    const problem = stack.problems[0] ?? key.problems[0];
    if (problem) throw new UsageError(problem.message);
    owner = { stack: values.stack, key: values.key };
  } else {
    const checked = checkWebhookId("--id", values.id);
    if (checked.value === undefined) throw new UsageError(checked.problems[0].message);
    id = checked.value;
  }

  const client = clientFromEnv(log);
  let result: DeleteResult;
  try {
    if (owner) {
      const deleted = (await deleteOwned(client, owner, log)).map(({ id: deletedId, name }) => ({ id: deletedId, name }));
      if (deleted.length === 0) log(`no webhook marked stack=${owner.stack} key=${owner.key}: already gone`);
      result = { deleted, alreadyGone: deleted.length === 0 };
    } else if ((await deleteWebhook(client, id!)) === "deleted") {
      log(`deleted webhook ${id}`);
      result = { deleted: [{ id: id!, name: null }], alreadyGone: false };
    } else {
      log(`webhook ${id} does not exist: already gone`);
      result = { deleted: [], alreadyGone: true };
    }
  } finally {
    await client.close();
  }
  if (values.json) printJson(result);
  else printText(result.deleted.length ? result.deleted.map((d) => `deleted ${d.id}`).join("\n") : "already gone");
  return 0;
});
