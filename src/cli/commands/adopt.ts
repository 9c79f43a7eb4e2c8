import { adoptWebhook } from "../../webhook/adopt";
import { checkOwnerPart } from "../../webhook/ownership";
import { checkWebhookId } from "../../webhook/spec";
import { INSTANCE_HELP, apiEnvironmentHelp, clientFromEnv, defineCommand, instanceFrom } from "../command";
import { UsageError, parseFlags } from "../flags";
import { printJson } from "../output";

const HELP = `
Usage: tuco-webhooks adopt --id ID --stack S --key K [--instance ID] [--json]

Puts an existing webhook under a stack instance's ownership: its description gets the
instance's confirmed marker (the text around it is kept), so the next apply of stack S key K
manages it instead of creating another. Use it after a lost Terraform state, for a webhook whose
marker was removed in the Tuco app, or to take over a hand-made one. Refused for a webhook that
a Pulumi stack, another stack or another key of this stack owns. Its signing secret stays
unknown (Tuco returns it only once): this command writes no sealed file, and a sealed file
written when it was created still holds it. Refused when key K already owns another webhook. A
description made unreadable by a broken or second marker gets the one marker back (the broken
text is removed, and the command says what it removed). Safe to re-run.

  --id ID             the webhook to adopt
  --stack S --key K   the owner, as in the apply spec
${INSTANCE_HELP}
  --json              print {"id","stack","key","instance"} on stdout

Output (stderr), one line: "adopted webhook <id>: it now carries the marker of stack <s> key <k>
instance <i>; its signing secret stays unknown ...", or "webhook <id> already carries the marker
of ...: nothing to adopt". Nothing is printed on stdout without --json.

${apiEnvironmentHelp(false)}
Exit codes: 0 adopted (or already this instance's), 1 error.
`;

export const command = defineCommand("adopt", "put an existing webhook under a stack instance's ownership", HELP, async (args, log) => {
  const { values } = parseFlags("adopt", args, { id: { type: "string" }, stack: { type: "string" }, key: { type: "string" }, instance: { type: "string" }, json: { type: "boolean" } });
  const id = checkWebhookId("--id", values.id);
  const stack = checkOwnerPart("stack", values.stack, "--stack");
  const key = checkOwnerPart("key", values.key, "--key");
  const problem = id.problems[0] ?? stack.problems[0] ?? key.problems[0];
  if (problem || id.value === undefined || stack.value === undefined || key.value === undefined) {
    throw new UsageError(`${problem?.message}: run \`tuco-webhooks adopt --help\``);
  }
  const owner = { stack: stack.value, key: key.value, instance: instanceFrom(values.instance) };
  const client = clientFromEnv(log);
  try {
    const { owned } = await adoptWebhook(client, owner, id.value, log, "its signing secret stays unknown (Tuco returns it only once) unless a sealed file written at its creation holds it: this command writes none");
    if (values.json) printJson({ id: owned.webhook.id, ...owner });
    return 0;
  } finally {
    await client.close();
  }
});
