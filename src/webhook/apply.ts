/**
 * The provisioner lifecycle of one declared webhook (what `tuco-webhooks apply` and
 * `drift --fix` run): find the stack's webhook by its ownership marker; not found, create it, seal
 * its one-time secret at once, health-check it and roll back a failed check; found, PATCH what
 * differs (owner-aware: the description keeps its marker) and health-check it again.
 */
import { rm } from "node:fs/promises";
import type { TucoClient } from "../api/client";
import { TucoError } from "../api/errors";
import type { UpdateWebhookInput, Webhook } from "../api/types";
import { sealSecret } from "../secrets/seal";
import { writeSealedFile } from "../secrets/file";
import type { WebhookDeclaration } from "./declaration";
import { diffWebhook } from "./diff";
import { HealthCheckFailedError, runHealthCheck, type HealthCheckOutcome } from "./health";
import { PartialCreateError, createWebhook, deleteWebhook, type Log } from "./lifecycle";
import { findOwned, withOwnerTag, type OwnedWebhook } from "./ownership";
import type { WebhookField } from "./spec";

/** What an apply did. */
export interface ApplyResult {
  readonly action: "created" | "updated" | "unchanged";
  readonly id: string;
  readonly changed: WebhookField[];
  /** The health-check run after the apply, under the declaration's `healthCheck` policy. */
  readonly lastHealthCheck: HealthCheckOutcome;
  /** Where the new secret was sealed; null when nothing was created. */
  readonly sealedSecretPath: string | null;
}

/** An apply could not finish. The message says what it left behind and what the next apply does. */
export class WebhookApplyError extends TucoError {
  readonly code = "APPLY_FAILED";
}

/**
 * Creates the webhook, seals its secret and health-checks it. If sealing fails, the webhook
 * is deleted again (a webhook whose secret nobody holds is useless). If the health-check
 * fails under "fail", the webhook and the sealed file are removed, so a re-apply starts clean.
 */
async function createAndSeal(client: TucoClient, declaration: WebhookDeclaration, log: Log, onSecret: (secret: string) => void): Promise<ApplyResult> {
  const { owner, spec, seal } = declaration;
  let webhook: Webhook;
  let secret: string;
  let partial: PartialCreateError | undefined;
  try {
    ({ webhook, secret } = await createWebhook(client, { ...spec, description: withOwnerTag(spec.description, owner) }, log));
  } catch (err) {
    if (!(err instanceof PartialCreateError)) throw err;
    partial = err;
    ({ webhook, secret } = err.state);
  }
  onSecret(secret);
  log(`created webhook ${webhook.id} (${JSON.stringify(spec.name)})`);

  let sealedPath: string;
  try {
    sealedPath = await writeSealedFile(seal.path, await sealSecret(secret, seal.recipients));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    try {
      await deleteWebhook(client, webhook.id);
    } catch (deleteErr) {
      throw new WebhookApplyError(
        `sealing the secret of webhook ${webhook.id} to ${seal.path} failed (${why}), and deleting that webhook failed too ` +
          `(${(deleteErr as Error).message}): its secret is lost. Delete it with \`tuco-webhooks delete --id ${webhook.id}\`, fix the seal path, and apply again.`,
      );
    }
    throw new WebhookApplyError(`sealing the secret of webhook ${webhook.id} to ${seal.path} failed (${why}); the webhook was deleted again so nothing is orphaned. Fix seal.path and apply again.`);
  }
  log(`sealed its secret to ${sealedPath} for ${seal.recipients.length} recipient${seal.recipients.length > 1 ? "s" : ""}`);
  if (partial) throw partial;

  let lastHealthCheck: HealthCheckOutcome;
  try {
    lastHealthCheck = await runHealthCheck(client, { id: webhook.id, url: spec.url }, declaration.healthCheck, (m) => log(`warning: ${m}`));
  } catch (err) {
    if (!(err instanceof HealthCheckFailedError)) {
      // The check never ran (Tuco or the network failed): the webhook is fine as far as anyone knows.
      const why = err instanceof Error ? err.message : String(err);
      throw new WebhookApplyError(`webhook ${webhook.id} was created and its secret sealed to ${sealedPath}, but its health-check could not run: ${why} Re-applying is safe: it keeps this webhook and its sealed secret.`, { cause: err });
    }
    try {
      await deleteWebhook(client, webhook.id);
    } catch (deleteErr) {
      throw new WebhookApplyError(
        `${err.message} Rolling back failed: deleting webhook ${webhook.id} failed (${(deleteErr as Error).message}); it still exists and its secret stays sealed in ${sealedPath}. Apply again: it adopts that webhook.`,
      );
    }
    await rm(sealedPath, { force: true });
    throw new WebhookApplyError(`${err.message} Rolled back: webhook ${webhook.id} was deleted and ${sealedPath} removed. Re-applying is safe.`);
  }
  return { action: "created", id: webhook.id, changed: [], lastHealthCheck, sealedSecretPath: sealedPath };
}

/**
 * The PATCH that puts `fields` of a stack's webhook back to its declaration: the declared values,
 * and the description with its ownership marker.
 */
export function ownedPatch(declaration: WebhookDeclaration, fields: readonly WebhookField[]): UpdateWebhookInput {
  const { spec, owner } = declaration;
  const patch: { -readonly [K in keyof UpdateWebhookInput]: UpdateWebhookInput[K] } = {};
  for (const field of fields) {
    if (field === "description") patch.description = withOwnerTag(spec.description, owner);
    else if (field === "events") patch.events = spec.events;
    else if (field === "url") patch.url = spec.url;
    else if (field === "name") patch.name = spec.name;
    else patch.isActive = spec.isActive;
  }
  return patch;
}

/**
 * Patches what differs, then health-checks the webhook, also when nothing differed: Terraform runs
 * `apply` only when it creates, replaces or re-runs a tainted resource, so a re-apply after a
 * failed health-check checks the endpoint again instead of passing on an unchanged webhook.
 */
async function reconcile(client: TucoClient, declaration: WebhookDeclaration, live: OwnedWebhook, log: Log): Promise<ApplyResult> {
  const { id } = live.webhook;
  const diff = diffWebhook(declaration.spec, { ...live.webhook, description: live.description });
  if (diff.changed.length > 0) await client.update(id, ownedPatch(declaration, diff.changed));
  log(diff.changed.length === 0 ? `webhook ${id} is in sync: nothing to change` : `updated webhook ${id}: ${diff.changed.join(", ")}`);
  let lastHealthCheck: HealthCheckOutcome;
  try {
    lastHealthCheck = await runHealthCheck(client, { id, url: declaration.spec.url }, declaration.healthCheck, (m) => log(`warning: ${m}`));
  } catch (err) {
    if (!(err instanceof HealthCheckFailedError)) throw err;
    const kept = diff.changed.length === 0 ? `Webhook ${id} is unchanged` : `The update of ${diff.changed.join(", ")} stays applied`;
    throw new WebhookApplyError(`${err.message} ${kept}; re-applying is safe and checks it again.`);
  }
  return { action: diff.changed.length === 0 ? "unchanged" : "updated", id, changed: diff.changed, lastHealthCheck, sealedSecretPath: null };
}

/** Options of `applyDeclaration`. */
export interface ApplyOptions {
  /** Progress and warnings, one line each. */
  readonly log?: Log;
  /** Called with a new webhook's one-time secret as soon as Tuco returns it, e.g. to keep it out of every output. */
  readonly onSecret?: (secret: string) => void;
}

/**
 * Applies one declared webhook: creates it (sealing its secret) when the stack owns none under
 * its key, or reconciles the one it owns; duplicates carrying the same marker are deleted, the
 * oldest kept. Every step is safe to re-run.
 */
export async function applyDeclaration(client: TucoClient, declaration: WebhookDeclaration, options: ApplyOptions = {}): Promise<ApplyResult> {
  const log = options.log ?? (() => {});
  const owned = findOwned(await client.list(), declaration.owner);
  if (owned.length === 0) return createAndSeal(client, declaration, log, options.onSecret ?? (() => {}));
  const [keep, ...duplicates] = owned;
  const { stack, key } = declaration.owner;
  for (const dup of duplicates) {
    await deleteWebhook(client, dup.webhook.id);
    log(`deleted duplicate webhook ${dup.webhook.id} (also marked stack=${stack} key=${key}, created ${dup.webhook.createdAt}); kept the oldest, ${keep.webhook.id}`);
  }
  return reconcile(client, declaration, keep, log);
}
