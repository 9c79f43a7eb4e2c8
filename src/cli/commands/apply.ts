import { rm } from "node:fs/promises";
import type { TucoClient } from "../../api/client";
import { TucoNotFoundError } from "../../api/errors";
import type { Webhook } from "../../api/types";
import { sealSecret, writeSealedFile } from "../../secrets";
import { diffWebhook } from "../../webhook/diff";
import { HealthCheckFailedError, runHealthCheck, type HealthCheckOutcome, type HealthCheckPolicy } from "../../webhook/health";
import { PartialCreateError, createWebhook } from "../../webhook/lifecycle";
import { withOwnerTag, type Owner } from "../../webhook/ownership";
import { showValue, type WebhookField, type WebhookSpec } from "../../webhook/spec";
import { UsageError, clientFromEnv, defineCommand, parseFlags, printJson, printText, withhold, apiEnvironmentHelp } from "../args";
import { readInputFile } from "../files";
import { findOwned } from "../owned";
import { checkDeclaration } from "../../cdktf/synthesized-stack";

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
                       "healthCheck":{success,skipped,statusCode,error,checkedAt},
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

/** A validated apply request. */
export interface ApplyRequest {
  readonly owner: Owner;
  readonly spec: WebhookSpec;
  readonly healthCheck: HealthCheckPolicy;
  readonly seal: { readonly recipients: string[]; readonly path: string };
}

/** What `apply --json` prints. */
export interface ApplyResult {
  readonly action: "created" | "updated" | "unchanged";
  readonly id: string;
  readonly changed: WebhookField[];
  readonly healthCheck: HealthCheckOutcome;
  readonly sealedSecretPath: string | null;
}

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

/** Validates a parsed spec JSON completely, without any API call, with the check drift applies to a stack's triggers. Throws one `UsageError` listing every problem. */
export async function parseApplyRequest(input: unknown, source = "spec"): Promise<ApplyRequest> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new UsageError(`${source} must be a JSON object like {"stack":"prod","key":"crm","name":...}, got ${showValue(input)}`);
  }
  const { declared, problems } = checkDeclaration(input as Record<string, unknown>);
  if (declared === undefined) throw new UsageError(`invalid ${source}: ${problems.join("; ")}`);
  const { stack, key, healthCheck, seal, ...spec } = declared;
  return { owner: { stack, key }, spec, healthCheck, seal };
}

async function deleteQuietly(client: TucoClient, id: string): Promise<void> {
  try {
    await client.delete(id);
  } catch (err) {
    if (!(err instanceof TucoNotFoundError)) throw err;
  }
}

/**
 * Creates the webhook, seals its secret and health-checks it. If sealing fails, the webhook
 * is deleted again (a webhook whose secret nobody holds is useless). If the health-check
 * fails under "fail", the webhook and the sealed file are removed, so a re-apply starts clean.
 */
async function createAndSeal(client: TucoClient, req: ApplyRequest, log: (m: string) => void): Promise<ApplyResult> {
  const desired: WebhookSpec = { ...req.spec, description: withOwnerTag(req.spec.description, req.owner) };
  let webhook: Webhook;
  let secret: string;
  let partial: PartialCreateError | undefined;
  try {
    ({ webhook, secret } = await createWebhook(client, desired, log));
  } catch (err) {
    if (!(err instanceof PartialCreateError)) throw err;
    partial = err;
    ({ webhook, secret } = err.state);
  }
  withhold(secret);
  log(`created webhook ${webhook.id} (${JSON.stringify(req.spec.name)})`);

  let sealedPath: string;
  try {
    sealedPath = await writeSealedFile(req.seal.path, await sealSecret(secret, req.seal.recipients));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    try {
      await deleteQuietly(client, webhook.id);
    } catch (deleteErr) {
      throw new Error(
        `sealing the secret of webhook ${webhook.id} to ${req.seal.path} failed (${why}), and deleting that webhook failed too ` +
          `(${(deleteErr as Error).message}): its secret is lost. Delete it with \`tuco-webhooks delete --id ${webhook.id}\`, fix the seal path, and apply again.`,
      );
    }
    throw new Error(`sealing the secret of webhook ${webhook.id} to ${req.seal.path} failed (${why}); the webhook was deleted again so nothing is orphaned. Fix seal.path and apply again.`);
  }
  log(`sealed its secret to ${sealedPath} for ${req.seal.recipients.length} recipient${req.seal.recipients.length > 1 ? "s" : ""}`);
  if (partial) throw partial;

  let healthCheck: HealthCheckOutcome;
  try {
    healthCheck = await runHealthCheck(client, { id: webhook.id, url: req.spec.url }, req.healthCheck, (m) => log(`warning: ${m}`));
  } catch (err) {
    if (!(err instanceof HealthCheckFailedError)) {
      // The check never ran (Tuco or the network failed): the webhook is fine as far as anyone knows.
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`webhook ${webhook.id} was created and its secret sealed to ${sealedPath}, but its health-check could not run: ${why} Re-applying is safe: it keeps this webhook and its sealed secret.`);
    }
    try {
      await deleteQuietly(client, webhook.id);
    } catch (deleteErr) {
      throw new Error(
        `${err.message} Rolling back failed: deleting webhook ${webhook.id} failed (${(deleteErr as Error).message}); it still exists and its secret stays sealed in ${sealedPath}. Apply again: it adopts that webhook.`,
      );
    }
    await rm(sealedPath, { force: true });
    throw new Error(`${err.message} Rolled back: webhook ${webhook.id} was deleted and ${sealedPath} removed. Re-applying is safe.`);
  }
  return { action: "created", id: webhook.id, changed: [], healthCheck, sealedSecretPath: sealedPath };
}

/**
 * Patches the differing fields of an existing webhook (its description compared without the
 * marker), then health-checks it, also when nothing differed: Terraform runs `apply` only when
 * it creates, replaces or re-runs a tainted resource, so a re-apply after a failed health-check
 * checks the endpoint again instead of passing on an unchanged webhook.
 */
async function reconcile(client: TucoClient, req: ApplyRequest, live: Webhook, userDescription: string | null, log: (m: string) => void): Promise<ApplyResult> {
  const diff = diffWebhook(req.spec, { ...live, description: userDescription });
  if (diff.changed.length === 0) {
    log(`webhook ${live.id} is in sync: nothing to change`);
  } else {
    const patch = { ...diff.patch, ...(diff.changed.includes("description") ? { description: withOwnerTag(req.spec.description, req.owner) } : {}) };
    await client.update(live.id, patch);
    log(`updated webhook ${live.id}: ${diff.changed.join(", ")}`);
  }
  const healthCheck = await runHealthCheck(client, { id: live.id, url: req.spec.url }, req.healthCheck, (m) => log(`warning: ${m}`)).catch((err: unknown) => {
    if (!(err instanceof HealthCheckFailedError)) throw err;
    const kept = diff.changed.length === 0 ? `Webhook ${live.id} is unchanged` : `The update of ${diff.changed.join(", ")} stays applied`;
    throw new Error(`${err.message} ${kept}; re-applying is safe and checks it again.`);
  });
  return { action: diff.changed.length === 0 ? "unchanged" : "updated", id: live.id, changed: diff.changed, healthCheck, sealedSecretPath: null };
}

/** Runs a validated apply against the API. */
export async function applyWebhook(client: TucoClient, req: ApplyRequest, log: (m: string) => void): Promise<ApplyResult> {
  const owned = findOwned(await client.list(), req.owner);
  if (owned.length === 0) return createAndSeal(client, req, log);
  const [keep, ...duplicates] = owned;
  for (const dup of duplicates) {
    await deleteQuietly(client, dup.webhook.id);
    log(`deleted duplicate webhook ${dup.webhook.id} (also marked stack=${req.owner.stack} key=${req.owner.key}, created ${dup.webhook.createdAt}); kept the oldest, ${keep.webhook.id}`);
  }
  return reconcile(client, req, keep.webhook, keep.description, log);
}

export const command = defineCommand("apply", "create or update one webhook, seal its secret, health-check it", HELP, async (args, log) => {
  const { values } = parseFlags("apply", args, { spec: { type: "string" }, "spec-file": { type: "string" }, json: { type: "boolean" } });
  const { text, source } = await readSpecText(values);
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not valid JSON (${(err as Error).message}): pass one JSON object, see \`tuco-webhooks apply --help\``);
  }
  const req = await parseApplyRequest(input, `spec (${source})`);
  const client = clientFromEnv(log);
  try {
    const result = await applyWebhook(client, req, log);
    if (values.json) printJson(result);
    else printText(`${result.action} ${result.id}${result.changed.length ? ` (${result.changed.join(", ")})` : ""}${result.sealedSecretPath ? `; secret sealed to ${result.sealedSecretPath}` : ""}`);
    return 0;
  } finally {
    await client.close();
  }
});
