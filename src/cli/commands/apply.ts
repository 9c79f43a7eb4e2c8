import { checkDeclaration } from "../../webhook/declaration";
import { describeProblems } from "../../webhook/problems";
import { applyDeclaration } from "../../webhook/apply";
import { apiEnvironmentHelp, clientFromEnv, defineCommand } from "../command";
import { readInputFile } from "../files";
import { UsageError, parseFlags } from "../flags";
import { printJson, printText, withhold } from "../output";

const HELP = `
Usage: tuco-webhooks apply [--spec JSON | --spec-file PATH] [--json]

Creates or updates the one webhook a stack declares under a key, seals its one-time secret
with age, and health-checks it (under its policy, also when nothing changed). Safe to re-run:
in sync means no change to the webhook.

Input (one of):
  --spec JSON         the spec as a JSON string
  --spec-file PATH    a file holding the spec JSON (at most 1 MiB)
  (neither)           the spec JSON from the environment variable TUCO_WEBHOOK_SPEC
Output:
  --json              print one JSON document on stdout:
                      {"action":"created"|"updated"|"unchanged","id","changed":[fields],
                       "lastHealthCheck":{success,skipped,statusCode,error,checkedAt},
                       "sealedSecretPath": absolute path | null}

Spec JSON:
  {"stack": "prod", "key": "crm", "name": "crm-events", "url": "https://hooks.example.com/tuco",
   "events": ["message.sent"], "description": null, "isActive": true,
   "healthCheck": "fail" | "warn" | "skip",          (default "fail")
   "seal": {"recipients": ["age1..."], "path": "secrets/crm.age"}}

The webhook is found by its ownership marker (the last line of its description:
[tuco-webhooks stack=<stack> key=<key>]). Found: only differing fields are patched. Not found:
it is created, its secret is sealed to seal.path at once (mode 0600), then health-checked;
a failed health-check under "fail" deletes it and the sealed file again (re-apply is safe).

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
  const env = process.env.TUCO_WEBHOOK_SPEC;
  if (env === undefined) {
    throw new UsageError("no spec given: pass --spec JSON or --spec-file PATH, or set TUCO_WEBHOOK_SPEC to the spec JSON");
  }
  if (env.trim() === "") throw new UsageError(`TUCO_WEBHOOK_SPEC is set but empty: set it to the spec JSON, or pass --spec JSON or --spec-file PATH`);
  return { text: env, source: "TUCO_WEBHOOK_SPEC" };
}

export const command = defineCommand("apply", "create or update one webhook, seal its secret, health-check it", HELP, async (args, log) => {
  const { values } = parseFlags("apply", args, { spec: { type: "string" }, "spec-file": { type: "string" }, json: { type: "boolean" } });
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
  const client = clientFromEnv(log);
  try {
    const result = await applyDeclaration(client, checked.value, { log, onSecret: withhold });
    if (values.json) printJson(result);
    else printText(`${result.action} ${result.id}${result.changed.length ? ` (${result.changed.join(", ")})` : ""}${result.sealedSecretPath ? `; secret sealed to ${result.sealedSecretPath}` : ""}`);
    return 0;
  } finally {
    await client.close();
  }
});
