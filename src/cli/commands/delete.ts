import { TucoNotFoundError } from "../../api/errors";
import { checkOwnerPart } from "../../webhook/ownership";
import { checkWebhookId } from "../../webhook/spec";
import { UsageError, clientFromEnv, defineCommand, parseFlags, printJson, printText, apiEnvironmentHelp } from "../args";
import { findOwned } from "../owned";

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
  if (byOwner) {
    if (values.stack === undefined) throw new UsageError("--key given without --stack: pass both --stack S --key K");
    if (values.key === undefined) throw new UsageError("--stack given without --key: pass both --stack S --key K (use `tuco-webhooks prune` for a whole stack)");
    try {
      checkOwnerPart("stack", values.stack);
      checkOwnerPart("key", values.key);
    } catch (err) {
      throw new UsageError(`--${(err as Error).message}`);
    }
  } else {
    const problem = checkWebhookId("--id", values.id);
    if (problem) throw new UsageError(problem);
  }

  const client = clientFromEnv(log);
  const result: DeleteResult = { deleted: [], alreadyGone: false };
  try {
    if (byOwner) {
      const owned = findOwned(await client.list(), { stack: values.stack as string, key: values.key as string });
      for (const t of owned) {
        try {
          await client.delete(t.webhook.id);
          result.deleted.push({ id: t.webhook.id, name: t.webhook.name });
          log(`deleted webhook ${t.webhook.id} (${JSON.stringify(t.webhook.name)})`);
        } catch (err) {
          if (!(err instanceof TucoNotFoundError)) throw err;
          log(`webhook ${t.webhook.id} was already gone`);
        }
      }
      if (result.deleted.length === 0) {
        (result as { alreadyGone: boolean }).alreadyGone = true;
        log(`no webhook marked stack=${values.stack} key=${values.key}: already gone`);
      }
    } else {
      const id = (values.id as string).trim();
      try {
        await client.delete(id);
        result.deleted.push({ id, name: null });
        log(`deleted webhook ${id}`);
      } catch (err) {
        if (!(err instanceof TucoNotFoundError)) throw err;
        (result as { alreadyGone: boolean }).alreadyGone = true;
        log(`webhook ${id} does not exist: already gone`);
      }
    }
  } finally {
    await client.close();
  }
  if (values.json) printJson(result);
  else printText(result.deleted.length ? result.deleted.map((d) => `deleted ${d.id}`).join("\n") : "already gone");
  return 0;
});
