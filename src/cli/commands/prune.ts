import { TucoNotFoundError } from "../../api/errors";
import { checkOwnerPart } from "../../webhook/ownership";
import { UsageError, clientFromEnv, defineCommand, parseFlags, printJson, printText, apiEnvironmentHelp } from "../args";
import { oldestFirst, tagged } from "../owned";

const HELP = `
Usage: tuco-webhooks prune --stack S --keep k1,k2,... [--json]

Deletes every webhook whose ownership marker says stack=S and whose key is not in the keep
list: what a stack created but no longer declares. Webhooks without a marker, or marked with
another stack, are never touched, whatever their names. Safe to re-run.

  --stack S        the stack whose webhooks are pruned
  --keep LIST      comma-separated keys the stack still declares (required;
                   --keep "" deletes every webhook of the stack)
  --json           print {"deleted":[{"id","name","key"}],"kept":[{"id","name","key"}]} on stdout

${apiEnvironmentHelp(false)}
Exit codes: 0 done (also when nothing was left to prune), 1 error.
`;

/** One webhook `prune` deleted or kept. */
export interface PruneEntry {
  readonly id: string;
  readonly name: string;
  readonly key: string;
}

export const command = defineCommand("prune", "delete a stack's webhooks whose keys it no longer declares", HELP, async (args, log) => {
  const { values } = parseFlags("prune", args, { stack: { type: "string" }, keep: { type: "string" }, json: { type: "boolean" } });
  if (values.stack === undefined) throw new UsageError("--stack is missing: pass the stack whose webhooks are pruned, e.g. --stack prod");
  if (values.keep === undefined) {
    throw new UsageError('--keep is missing: pass the keys the stack still declares, e.g. --keep crm,billing (--keep "" deletes every webhook of the stack)');
  }
  try {
    checkOwnerPart("stack", values.stack);
  } catch (err) {
    throw new UsageError(`--${(err as Error).message}`);
  }
  const keep = new Set(values.keep.split(",").map((k) => k.trim()).filter((k) => k !== ""));
  for (const key of keep) {
    try {
      checkOwnerPart("key", key);
    } catch (err) {
      throw new UsageError(`--keep: ${(err as Error).message}`);
    }
  }

  const client = clientFromEnv(log);
  const deleted: PruneEntry[] = [];
  const kept: PruneEntry[] = [];
  try {
    const ours = tagged(await client.list())
      .filter((t) => t.owner?.stack === values.stack)
      .sort(oldestFirst);
    for (const t of ours) {
      const entry = { id: t.webhook.id, name: t.webhook.name, key: t.owner?.key as string };
      if (keep.has(entry.key)) {
        kept.push(entry);
        continue;
      }
      try {
        await client.delete(entry.id);
        deleted.push(entry);
        log(`deleted webhook ${entry.id} (${JSON.stringify(entry.name)}, key ${entry.key}): stack ${values.stack} no longer declares it`);
      } catch (err) {
        if (!(err instanceof TucoNotFoundError)) throw err;
        log(`webhook ${entry.id} (key ${entry.key}) was already gone`);
      }
    }
  } finally {
    await client.close();
  }
  if (deleted.length === 0) log(`nothing to prune in stack ${values.stack}`);
  if (values.json) printJson({ deleted, kept });
  else printText(deleted.length ? deleted.map((d) => `deleted ${d.id} (key ${d.key})`).join("\n") : "nothing to prune");
  return 0;
});
