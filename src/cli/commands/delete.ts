import { deleteWebhook } from "../../webhook/lifecycle";
import type { TucoClient } from "../../api/client";
import { quoteUntrusted, showId } from "../../private/text";
import { checkOwnerPart, describeOwner, readOwners } from "../../webhook/ownership";
import { deleteOwned } from "../../webhook/prune";
import { checkWebhookId } from "../../webhook/spec";
import { INSTANCE_HELP, apiEnvironmentHelp, clientFromEnv, defineCommand, instanceFrom } from "../command";
import { UsageError, parseFlags } from "../flags";
import { printJson } from "../output";

const HELP = `
Usage: tuco-webhooks delete (--stack S --key K [--instance ID] | --id ID [--force]) [--json]

Deletes the webhook(s) a stack instance owns under key K (its confirmed webhook, and a create of
it that never finished), or the webhook with that id (for manual clean-up). Another instance's
webhooks, copies of the marker and unmarked webhooks are never touched by --stack/--key.
Nothing there, or already deleted, is success. Safe to re-run.

  --stack S --key K   the owner, as in the apply spec
${INSTANCE_HELP}
  --id ID             one webhook id. A webhook that a CDKTF stack or a Pulumi resource provably
                      owns is refused, naming its owner, unless --force is given (that owner's
                      next apply or refresh then finds it gone)
  --force             with --id: delete it whoever owns it
  --json              print {"deleted":[{"id","name"}],"alreadyGone":boolean} on stdout

Output (stderr), one line per webhook deleted, or the one line saying it was already gone:
  tuco-webhooks delete: deleted webhook <id> ("<name>")
  tuco-webhooks delete: no webhook of stack <s> key <k> instance <i>: already gone
Nothing is printed on stdout without --json.

${apiEnvironmentHelp(false)}
Exit codes: 0 deleted or already gone, 1 error.
`;

/**
 * Before `delete --id`: a webhook a stack or a Pulumi resource provably owns is deleted only with
 * --force, and then its owner is named.
 */
async function ownerOfDeleted(client: TucoClient, id: string, force: boolean, log: (m: string) => void): Promise<void> {
  const live = await client.tryGet(id);
  if (!live) return;
  const [w] = readOwners([live]);
  if ((w.claim !== "owned" && w.claim !== "pending") || !w.marker) return;
  const who = describeOwner(w.marker.owner);
  if (!force) {
    throw new UsageError(
      `webhook ${showId(id)} (name ${quoteUntrusted(live.name)}) is managed by ${who}: deleting it here leaves that owner's state naming a deleted webhook. ` +
        "Remove it from that stack instead, or pass --force to delete it anyway",
    );
  }
  log(`webhook ${showId(id)} was managed by ${who}; deleting it as --force asks`);
}

/** What `delete --json` prints. */
export interface DeleteResult {
  readonly deleted: { id: string; name: string | null }[];
  readonly alreadyGone: boolean;
}

export const command = defineCommand("delete", "delete the webhook(s) of one owner (stack + key) or one id", HELP, async (args, log) => {
  const { values } = parseFlags("delete", args, {
    stack: { type: "string" },
    key: { type: "string" },
    instance: { type: "string" },
    id: { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const byOwner = values.stack !== undefined || values.key !== undefined;
  if (byOwner && values.id !== undefined) throw new UsageError("--id and --stack/--key were both given: pass --stack S --key K, or --id ID");
  if (!byOwner && values.id === undefined) throw new UsageError("nothing to delete: pass --stack S --key K, or --id ID");
  let owner: { stack: string; key: string; instance: string } | undefined;
  let id: string | undefined;
  if (byOwner) {
    if (values.force) throw new UsageError("--force goes with --id: --stack/--key deletes only what that stack instance owns");
    if (values.stack === undefined) throw new UsageError("--key given without --stack: pass both --stack S --key K");
    if (values.key === undefined) throw new UsageError("--stack given without --key: pass both --stack S --key K (use `tuco-webhooks prune` for a whole stack)");
    const stack = checkOwnerPart("stack", values.stack, "--stack");
    const key = checkOwnerPart("key", values.key, "--key");
    const problem = stack.problems[0] ?? key.problems[0];
    if (problem) throw new UsageError(problem.message);
    owner = { stack: values.stack, key: values.key, instance: instanceFrom(values.instance) };
  } else {
    if (values.instance !== undefined) throw new UsageError("--instance goes with --stack and --key: --id deletes that one webhook whatever its marker");
    const checked = checkWebhookId("--id", values.id);
    if (checked.value === undefined) throw new UsageError(checked.problems[0].message);
    id = checked.value;
  }

  const client = clientFromEnv(log);
  let result: DeleteResult;
  try {
    if (owner) {
      const deleted = (await deleteOwned(client, owner, log)).map(({ id: deletedId, name }) => ({ id: deletedId, name }));
      if (deleted.length === 0) log(`no webhook of stack ${owner.stack} key ${owner.key} instance ${owner.instance}: already gone`);
      result = { deleted, alreadyGone: deleted.length === 0 };
    } else {
      await ownerOfDeleted(client, id!, values.force === true, log);
      if ((await deleteWebhook(client, id!)) === "deleted") {
        log(`deleted webhook ${id}`);
        result = { deleted: [{ id: id!, name: null }], alreadyGone: false };
      } else {
        log(`webhook ${id} does not exist: already gone`);
        result = { deleted: [], alreadyGone: true };
      }
    }
  } finally {
    await client.close();
  }
  // Without --json, the lines on stderr are the whole report: one per webhook deleted, or the one saying it was already gone.
  if (values.json) printJson(result);
  return 0;
});
