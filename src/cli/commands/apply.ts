import { DECLARATION_ENV, checkDeclaration } from "../../webhook/declaration";
import { describeProblems } from "../../webhook/problems";
import { INSTANCE_HELP, apiEnvironmentHelp, clientFromEnv, defineCommand, instanceFrom } from "../command";
import { readInputFile } from "../files";
import { UsageError, parseFlags } from "../flags";
import { printJson, withhold } from "../output";

const HELP = `
Usage: tuco-webhooks apply [--spec JSON | --spec-file PATH] [--instance ID] [--json]

Creates or updates the one webhook a stack instance declares under a key, seals its one-time
secret with age, and health-checks it (under its policy, also when nothing changed). Safe to
re-run, and safe to stop at any instant: in sync means no change to the webhook.

Input (one of):
  --spec JSON         the spec as a JSON string
  --spec-file PATH    a file holding the spec JSON (at most 1 MiB)
  (neither)           the spec JSON from the environment variable TUCO_WEBHOOK_SPEC
${INSTANCE_HELP}
Output (stderr), one line per action taken, e.g. a create, then a re-apply of a changed url:
  tuco-webhooks apply: created webhook <id> ("<name>"), not yet confirmed: its secret is being sealed
  tuco-webhooks apply: sealed its secret to <path> for 1 recipient
  tuco-webhooks apply: confirmed webhook <id>: it now carries the marker of stack <s> key <k> instance <i>
  tuco-webhooks apply: health-check of webhook <id> passed: <url> answered the signed test ping with 200
  tuco-webhooks apply: updated webhook <id>: url           (or: webhook <id> is in sync: nothing to change)
  tuco-webhooks apply: health-check of webhook <id> passed: <url> answered the signed test ping with 200
The health-check's line may instead say skipped (policy "skip"), or be a "warning:" line (policy
"warn"); a failure is one "error:" line. Nothing is printed on stdout, unless:
  --json              print one JSON document on stdout:
                      {"action":"created"|"updated"|"unchanged"|"adopted","id","changed":[fields],
                       "lastHealthCheck":{success,skipped,statusCode,error,checkedAt},
                       "sealedSecretPath": absolute path | null}

Spec JSON:
  {"stack": "prod", "key": "crm", "name": "crm-events", "url": "https://hooks.example.com/tuco",
   "events": ["message.sent"], "description": null, "isActive": true,
   "healthCheck": "fail" | "warn" | "skip",          (default "fail")
   "seal": {"recipients": ["age1..."], "path": "secrets/crm.age"},
   "adoptId": "<id>"}                                  (optional: take over this webhook)

The webhook is found by its ownership marker in its description:
[tuco-webhooks stack=<stack> key=<key> instance=<instance> id=<its own id> sum=<checksum>]
(an edited marker, whose checksum no longer matches, proves nothing). Found: only differing
fields are patched. Not found: it is created with a marker that says "pending", its secret is
sealed to seal.path (mode 0600, flushed to disk), the marker is confirmed, then it is
health-checked; a failed health-check under "fail" deletes it and the sealed file again. A
pending webhook left by a stopped run is deleted and created again. A webhook that is not this
instance's but names this stack and key, or an unmarked one with the same url and name, is never
duplicated: apply fails naming it and how to adopt it.

${apiEnvironmentHelp(true)}
Exit codes: 0 done, 1 error. Re-running is always safe: it finds the webhook by its marker and
finishes the job; a webhook kept after a failure keeps its sealed secret, and nothing is duplicated.
`;

const SPEC_FIX = "pass one JSON object, see `tuco-webhooks apply --help`";

async function readSpecText(values: { spec?: string; "spec-file"?: string }): Promise<{ text: string; source: string }> {
  if (values.spec !== undefined && values["spec-file"] !== undefined) {
    throw new UsageError("--spec and --spec-file were both given: pass the spec one way only");
  }
  if (values.spec !== undefined) {
    if (values.spec.trim() === "") throw new UsageError(`--spec is empty: ${SPEC_FIX}`);
    return { text: values.spec, source: "--spec" };
  }
  if (values["spec-file"] !== undefined) {
    const path = values["spec-file"];
    const bytes = await readInputFile("--spec-file", path, "pass the path of a file holding the spec JSON (see `tuco-webhooks apply --help`)");
    const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
    if (text.trim() === "") throw new UsageError(`--spec-file ${JSON.stringify(path)} holds only whitespace: ${SPEC_FIX}`);
    return { text, source: `--spec-file ${JSON.stringify(path)}` };
  }
  const env = process.env[DECLARATION_ENV];
  if (env === undefined) {
    throw new UsageError(`no spec given: pass --spec JSON or --spec-file PATH, or set ${DECLARATION_ENV} to the spec JSON`);
  }
  if (env.trim() === "") throw new UsageError(`${DECLARATION_ENV} is set but empty: set it to the spec JSON, or pass --spec JSON or --spec-file PATH`);
  return { text: env, source: DECLARATION_ENV };
}

export const command = defineCommand("apply", "create or update one webhook, seal its secret, health-check it", HELP, async (args, log) => {
  const { values } = parseFlags("apply", args, { spec: { type: "string" }, "spec-file": { type: "string" }, instance: { type: "string" }, json: { type: "boolean" } });
  const { text, source } = await readSpecText(values);
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not valid JSON (${(err as Error).message}): ${SPEC_FIX}`);
  }
  const checked = checkDeclaration(input);
  if (checked.value === undefined) {
    // A spec that is not an object has one problem, about the whole of it.
    const [first] = checked.problems;
    throw new UsageError(first.field === "declaration" ? `spec (${source}) ${first.message}` : `invalid spec (${source}): ${describeProblems(checked.problems)}`);
  }
  // The lifecycle, loaded once the spec is good: a rejected spec costs its process nothing more.
  const { applyDeclaration } = require("../../webhook/apply") as typeof import("../../webhook/apply");
  const client = clientFromEnv(log);
  const instance = instanceFrom(values.instance);
  try {
    const result = await applyDeclaration(client, checked.value, { instance, log, onSecret: withhold });
    // Without --json, the lines on stderr are the whole report: one per action, the health-check's included.
    if (values.json) printJson(result);
    return 0;
  } finally {
    await client.close();
  }
});
