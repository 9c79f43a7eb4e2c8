import { checkOwnerPart } from "../../webhook/ownership";
import { pruneStack, type RemovedWebhook } from "../../webhook/prune";
import { INSTANCE_HELP, apiEnvironmentHelp, clientFromEnv, defineCommand, instanceFrom } from "../command";
import { UsageError, parseFlags } from "../flags";
import { printJson } from "../output";

const HELP = `
Usage: tuco-webhooks prune --stack S --keep k1,k2,... [--instance ID] [--json]

Deletes every webhook this stack instance owns whose key is not in the keep list: what the stack
created but no longer declares. Webhooks without a marker, with a copied marker, of another
stack, or of another instance of the same stack (another Terraform state), are never touched,
whatever their names. Safe to re-run.

  --stack S           the stack whose webhooks are pruned
  --keep LIST         comma-separated keys the stack still declares (required;
                      --keep "" deletes every webhook of the stack instance: terraform destroy)
${INSTANCE_HELP}
  --json              print {"deleted":[{"id","name","key"}],"kept":[{"id","name","key"}]} on stdout

Output (stderr), one line per webhook deleted, or one line saying there was nothing to delete:
  tuco-webhooks prune: deleted webhook <id> ("<name>", key <k>): stack <s> no longer declares it
  tuco-webhooks prune: nothing to prune in stack <s> instance <i>: it owns no webhook whose key ...
With --keep "" (terraform destroy) the lines say "stack <s> is being destroyed" instead, or
"stack <s> instance <i> owns no webhook: nothing to delete". Nothing is printed on stdout
without --json.

${apiEnvironmentHelp(false)}
Exit codes: 0 done (also when nothing was left to prune), 1 error.
`;

/** One webhook `prune` deleted or kept. */
export type PruneEntry = RemovedWebhook;

export const command = defineCommand("prune", "delete a stack's webhooks whose keys it no longer declares", HELP, async (args, log) => {
  const { values } = parseFlags("prune", args, { stack: { type: "string" }, keep: { type: "string" }, instance: { type: "string" }, json: { type: "boolean" } });
  if (values.stack === undefined) throw new UsageError("--stack is missing: pass the stack whose webhooks are pruned, e.g. --stack prod");
  if (values.keep === undefined) {
    throw new UsageError('--keep is missing: pass the keys the stack still declares, e.g. --keep crm,billing (--keep "" deletes every webhook of the stack)');
  }
  const stack = checkOwnerPart("stack", values.stack, "--stack");
  if (stack.value === undefined) throw new UsageError(stack.problems[0].message);
  const keep = new Set(values.keep.split(",").map((k) => k.trim()).filter((k) => k !== ""));
  for (const key of keep) {
    const checked = checkOwnerPart("key", key);
    if (checked.value === undefined) throw new UsageError(`--keep: ${checked.problems[0].message}`);
  }
  const instance = instanceFrom(values.instance);

  const client = clientFromEnv(log);
  let result: { deleted: PruneEntry[]; kept: PruneEntry[] };
  try {
    const reason = keep.size === 0 ? `stack ${stack.value} is being destroyed` : `stack ${stack.value} no longer declares it`;
    result = await pruneStack(client, { stack: stack.value, instance }, keep, log, reason);
  } finally {
    await client.close();
  }
  if (result.deleted.length === 0) {
    // --keep "" is terraform destroy: the stack declares nothing because it is going away, not because it dropped keys.
    log(
      keep.size === 0
        ? `stack ${stack.value} instance ${instance} owns no webhook: nothing to delete`
        : `nothing to prune in stack ${stack.value} instance ${instance}: it owns no webhook whose key it no longer declares`,
    );
  }
  // Without --json, the lines on stderr are the whole report: one per webhook deleted, or the one saying there was nothing to delete.
  if (values.json) printJson(result);
  return 0;
});
