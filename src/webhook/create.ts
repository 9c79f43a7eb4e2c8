/**
 * Steps 2 and 3 of the provisioner lifecycle (apply.ts): a create whose secret is durably sealed
 * before it counts as done. POST with a pending marker carrying a per-create nonce, list again
 * (the older of two concurrent creates of one key wins), seal to the file (fsync'd with its folder),
 * confirm by PATCHing the marker to one naming the webhook's id, then health-check under the policy
 * ("fail" rolls the new webhook back).
 */
import { rm } from "node:fs/promises";
import type { TucoClient } from "../api/client";
import { TucoNotFoundError } from "../api/errors";
import type { Webhook } from "../api/types";
import { showId } from "../private/text";
import { writeSealedFile } from "../secrets/file";
import { sealSecret } from "../secrets/seal";
import { WebhookApplyError, inTheWay, type ApplyResult } from "./apply-result";
import type { WebhookDeclaration } from "./declaration";
import { HealthCheckFailedError, reportHealthCheck, type HealthCheckOutcome } from "./health";
import { createWebhook, deleteTwinsOfCreate, deleteWebhook, type Log } from "./lifecycle";
import { confirmedMarker, hostTag, makeCreateNonce, oldestFirst, readDescription, readOwners, withMarker, type Marker, type StackOwner } from "./ownership";
import { PENDING_LEASE_MS, createStillRunning, inTheWayOfCreate, keyWebhooks } from "./stack-webhooks";

/** A create that lost a race to an older one of the same key: it deleted its own webhook and the loop looks again. */
export const LOST_RACE = Symbol("lost race");
/** Steps 2 and 3 of the lifecycle: create with a pending marker, seal, confirm, health-check. */
export async function createSealConfirm(client: TucoClient, declaration: WebhookDeclaration, owner: StackOwner, log: Log, onSecret: (secret: string) => void): Promise<ApplyResult | typeof LOST_RACE> {
  const { spec, seal } = declaration;
  const startedAt = Date.now();
  // The marker's time is Tuco's (the apply listed first), so it matches createdAt whatever this machine's clock says.
  const nonce = makeCreateNonce(spec, client.serverNow());
  const pending: Marker = { owner: { tool: "cdktf", ...owner }, pending: nonce };
  const isThisCreate = (w: Webhook) => readDescription(w.description).marker?.pending === nonce;
  const { webhook, secret } = await createWebhook(client, { ...spec, description: withMarker(spec.description, pending) }, log, {
    isThisCreate,
    pause: false, // isActive: false goes with the confirming PATCH
  });
  onSecret(secret);
  const { id } = webhook;
  log(`created webhook ${showId(id)} (${JSON.stringify(spec.name)}), not yet confirmed: its secret is being sealed`);

  // Two creates of one key at once: the older one wins, on every machine alike (by createdAt, then id).
  // A webhook of this very create besides this one (an unanswered attempt) is no other run's: it goes.
  const listed = await client.list();
  const twins = await deleteTwinsOfCreate(client, listed, spec, id, isThisCreate, log);
  const after = readOwners(listed.filter((w) => !twins.includes(w.id)));
  let mine = after.find((w) => w.webhook.id === id);
  if (!mine) {
    // Not in the list: deleted by another run, or a list that does not show it yet.
    const live = await client.tryGet(id);
    if (!live) {
      log(`webhook ${id} was deleted by another run while this one created it; looking again`);
      return LOST_RACE;
    }
    mine = readOwners([live])[0];
  }
  const key = keyWebhooks(after, owner);
  const tucoNow = client.serverNow();
  const older = [...key.own, ...key.pending.filter((w) => createStillRunning(w, tucoNow))].filter((w) => w.webhook.id !== id && oldestFirst(w, mine) < 0);
  if (older.length > 0) {
    await deleteWebhook(client, id);
    log(`another run created this webhook at the same time (webhook ${showId(older[0].webhook.id)}, started first): deleted this run's ${id}, whose secret was never sealed, and looking again`);
    return LOST_RACE;
  }
  // Another stack instance's webhook of this key, or an unmarked look-alike, made first, while this
  // run created its own (two apps applying at once): in the way, as it would have been at the first list.
  const inTheWayNow = inTheWayOfCreate(after, key, spec).filter((w) => oldestFirst(w, mine) < 0);
  if (inTheWayNow.length > 0) {
    await deleteWebhook(client, id);
    log(`webhook ${showId(inTheWayNow[0].webhook.id)} appeared while this run created its own: deleted this run's ${id}, whose secret was never sealed`);
    throw inTheWay(declaration, owner, inTheWayNow);
  }

  let sealedPath: string;
  try {
    sealedPath = await writeSealedFile(seal.path, await sealSecret(secret, seal.recipients, { webhookId: id }), hostTag());
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    try {
      await deleteWebhook(client, id);
    } catch (deleteErr) {
      throw new WebhookApplyError(
        `sealing the secret of webhook ${id} to ${seal.path} failed (${why}), and deleting that webhook failed too ` +
          `(${(deleteErr as Error).message}): its secret is lost. It carries a marker that is not confirmed, so the next apply deletes it and creates it again; fix the seal path first.`,
      );
    }
    throw new WebhookApplyError(`sealing the secret of webhook ${id} to ${seal.path} failed (${why}); the webhook was deleted again so nothing is orphaned. Fix seal.path and apply again.`);
  }
  log(`sealed its secret to ${sealedPath} for ${seal.recipients.length} recipient${seal.recipients.length > 1 ? "s" : ""}`);

  if (Date.now() - startedAt > PENDING_LEASE_MS / 2) {
    // Another machine may take a create this old for interrupted: never confirm one.
    await deleteWebhook(client, id);
    await rm(sealedPath, { force: true });
    throw new WebhookApplyError(`creating webhook ${id} took more than ${PENDING_LEASE_MS / 2000} s before it could be confirmed: it was deleted again and ${sealedPath} removed. Apply again.`);
  }
  try {
    await client.update(id, { description: withMarker(spec.description, confirmedMarker(owner, id)), ...(spec.isActive ? {} : { isActive: false }) });
  } catch (err) {
    if (err instanceof TucoNotFoundError) {
      throw new WebhookApplyError(`webhook ${id} was deleted by another run before this one could confirm it: ${sealedPath} holds its dead secret. Apply again: it creates the webhook again and seals the new secret there.`);
    }
    const why = err instanceof Error ? err.message : String(err);
    throw new WebhookApplyError(
      `webhook ${id} was created and its secret sealed to ${sealedPath}, but confirming it failed: ${why} ` +
        `It keeps a marker that is not confirmed: the next apply confirms it when it finds ${sealedPath} (labelled with its id), and otherwise deletes it and creates it again.`,
      { cause: err },
    );
  }
  log(`confirmed webhook ${showId(id)}${spec.isActive ? "" : " and paused it (isActive false)"}: it now carries the marker of stack ${owner.stack} key ${owner.key} instance ${owner.instance}`);

  let lastHealthCheck: HealthCheckOutcome;
  try {
    lastHealthCheck = await reportHealthCheck(client, { id, url: declaration.spec.url }, declaration.healthCheck, log);
  } catch (err) {
    if (err instanceof TucoNotFoundError) {
      throw new WebhookApplyError(`webhook ${id} was deleted (by another run, or by hand) right after this run confirmed it: ${sealedPath} holds its dead secret. Apply again: it creates the webhook again and seals the new secret there.`);
    }
    if (!(err instanceof HealthCheckFailedError)) {
      // The check never ran (Tuco or the network failed): the webhook is fine as far as anyone knows.
      const why = err instanceof Error ? err.message : String(err);
      throw new WebhookApplyError(`webhook ${id} was created and its secret sealed to ${sealedPath}, but its health-check could not run: ${why} Re-applying is safe: it keeps this webhook and its sealed secret.`, { cause: err });
    }
    try {
      await deleteWebhook(client, id);
    } catch (deleteErr) {
      throw new WebhookApplyError(
        `${err.message} Rolling back failed: deleting webhook ${id} failed (${(deleteErr as Error).message}); it still exists and its secret stays sealed in ${sealedPath}. Apply again: it keeps that webhook.`,
      );
    }
    await rm(sealedPath, { force: true });
    throw new WebhookApplyError(`${err.message} Rolled back: webhook ${id} was deleted and ${sealedPath} removed. Re-applying is safe.`);
  }
  return { action: "created", id, changed: [], lastHealthCheck, sealedSecretPath: sealedPath };
}
