/**
 * The provisioner lifecycle of one declared webhook (what `tuco-webhooks apply` and `drift --fix`
 * run), with the API itself as the durable log of a create:
 *
 *   1. list: the key's own webhook (confirmed marker with its own id) is reconciled: PATCH what
 *      differs, health-check. Creates of the key that never finished are replaced; a create still
 *      running elsewhere is waited for; anything else in the way is an error naming it.
 *   2. POST with a pending marker that carries a per-create nonce (so a lost answer finds exactly
 *      this create), list again (of two creates at once, the older wins; the other deletes its
 *      own and waits), seal the secret to the file (fsync'd with its folder), then PATCH the
 *      marker to the confirmed one, which names the webhook's id. Only then is the create done.
 *   3. health-check under the policy; under "fail" a new webhook is rolled back.
 *
 * A run stopped at any instant leaves either a confirmed webhook whose secret is sealed, or a
 * pending one whose secret nobody holds, which the next run deletes and creates again.
 */
import { readFile } from "node:fs/promises";
import type { TucoClient } from "../api/client";
import type { UpdateWebhookInput } from "../api/types";
import { sleep } from "../private/process";
import { showId } from "../private/text";
import { removeWriteLeftovers } from "../secrets/file";
import { sealedWebhookId } from "../secrets/seal";
import { adoptWebhook } from "./adopt";
import { OwnershipError, WebhookApplyError, describeWebhook, inTheWay, type ApplyResult } from "./apply-result";
import { LOST_RACE, createSealConfirm } from "./create";
import type { WebhookDeclaration } from "./declaration";
import { diffWebhook } from "./diff";
import { HealthCheckFailedError, reportHealthCheck, type HealthCheckOutcome } from "./health";
import { deleteStoppedCreate, deleteWebhook, type Log } from "./lifecycle";
import { confirmedMarker, describeOwner, hostTag, isStackOwner, oldestFirst, readOwners, withMarker, type OwnedWebhook, type StackOwner } from "./ownership";
import type { WebhookField } from "./spec";
import { PENDING_LEASE_MS, createStillRunning, inTheWayOfCreate, keyWebhooks } from "./stack-webhooks";

export { OwnershipError, WebhookApplyError, type ApplyResult } from "./apply-result";

/** Options of `applyDeclaration`. */
export interface ApplyOptions {
  /** The stack instance applying (its Terraform state's instance id). */
  readonly instance: string;
  /** Progress and warnings, one line each. */
  readonly log?: Log;
  /** Called with a new webhook's one-time secret as soon as Tuco returns it, e.g. to keep it out of every output. */
  readonly onSecret?: (secret: string) => void;
  /** How often to look again while another run's create of the same key finishes, in ms. @default 500 */
  readonly pollMs?: number;
}

/**
 * The PATCH that puts `fields` of a stack's webhook back to its declaration: the declared values,
 * and the description with the webhook's confirmed marker.
 */
export function ownedPatch(declaration: WebhookDeclaration, owner: StackOwner, id: string, fields: readonly WebhookField[]): UpdateWebhookInput {
  const { spec } = declaration;
  const patch: { -readonly [K in keyof UpdateWebhookInput]: UpdateWebhookInput[K] } = {};
  for (const field of fields) {
    if (field === "description") patch.description = withMarker(spec.description, confirmedMarker(owner, id));
    else if (field === "events") patch.events = spec.events;
    else if (field === "url") patch.url = spec.url;
    else if (field === "name") patch.name = spec.name;
    else patch.isActive = spec.isActive;
  }
  return patch;
}

/** What differs between a declaration and the webhook it owns (the description compared without the marker). */
export function ownedDiff(declaration: WebhookDeclaration, live: OwnedWebhook): WebhookField[] {
  return diffWebhook(declaration.spec, { ...live.webhook, description: live.description }).changed;
}

/**
 * Patches what differs, then health-checks the webhook, also when nothing differed: Terraform runs
 * `apply` only when it creates, replaces or re-runs a tainted resource, so a re-apply after a
 * failed health-check checks the endpoint again instead of passing on an unchanged webhook.
 */
async function reconcile(client: TucoClient, declaration: WebhookDeclaration, owner: StackOwner, live: OwnedWebhook, log: Log, action?: "adopted"): Promise<ApplyResult> {
  const { id } = live.webhook;
  const changed = ownedDiff(declaration, live);
  if (changed.length > 0) await client.update(id, ownedPatch(declaration, owner, id, changed));
  log(changed.length === 0 ? `webhook ${showId(id)} is in sync: nothing to change` : `updated webhook ${showId(id)}: ${changed.join(", ")}`);
  let lastHealthCheck: HealthCheckOutcome;
  try {
    lastHealthCheck = await reportHealthCheck(client, { id, url: declaration.spec.url }, declaration.healthCheck, log);
  } catch (err) {
    if (!(err instanceof HealthCheckFailedError)) throw err;
    const kept = changed.length === 0 ? `Webhook ${id} is unchanged` : `The update of ${changed.join(", ")} stays applied`;
    throw new WebhookApplyError(`${err.message} ${kept}; re-applying is safe and checks it again.`);
  }
  return { action: action ?? (changed.length === 0 ? "unchanged" : "updated"), id, changed, lastHealthCheck, sealedSecretPath: null };
}

/** The webhook id the sealed file at `path` is labelled with, when the file is here. */
export async function sealedIdAt(path: string): Promise<string | undefined> {
  const bytes = await readFile(path).catch(() => undefined);
  return bytes === undefined ? undefined : sealedWebhookId(bytes);
}

/**
 * Of several webhooks a key owns (left by two creates racing on different machines), the one whose
 * secret the sealed file here holds; the others are deleted. Without such a file nobody can tell
 * which secret was kept: an error names them all.
 */
async function keepOne(client: TucoClient, declaration: WebhookDeclaration, own: OwnedWebhook[], log: Log): Promise<OwnedWebhook> {
  if (own.length === 1) return own[0];
  const sealedId = await sealedIdAt(declaration.seal.path);
  const keep = own.find((w) => w.webhook.id === sealedId);
  const { stack, key } = declaration.owner;
  if (!keep) {
    throw new OwnershipError(
      `${own.length} webhooks carry the confirmed marker of stack ${stack} key ${key}: ${own.map(describeWebhook).join(", ")}, and the sealed file ${declaration.seal.path} ` +
        `${sealedId === undefined ? "is not here" : `belongs to another webhook (${showId(sealedId)})`}, so this run cannot tell whose secret was kept. ` +
        "Delete the ones whose secret your receivers do not hold (tuco-webhooks delete --id ID --force), then apply again.",
      own.map((w) => w.webhook.id),
    );
  }
  for (const dup of own) {
    if (dup === keep) continue;
    await deleteWebhook(client, dup.webhook.id);
    log(`deleted duplicate webhook ${showId(dup.webhook.id)} (also marked stack=${stack} key=${key}); kept ${showId(keep.webhook.id)}, whose secret is sealed in ${declaration.seal.path}`);
  }
  return keep;
}

/** How many creates a run makes before giving up when other runs keep winning or undoing them (waiting for one does not count). */
const MAX_CREATE_ROUNDS = 5;

/**
 * Applies one declared webhook for one stack instance: reconciles the webhook the key owns, or
 * adopts `adoptId`, or creates it (sealing its secret) after replacing creates that never
 * finished. Every step is safe to re-run and safe to lose at any instant.
 */
export async function applyDeclaration(client: TucoClient, declaration: WebhookDeclaration, options: ApplyOptions): Promise<ApplyResult> {
  const log = options.log ?? (() => {});
  const owner: StackOwner = { ...declaration.owner, instance: options.instance };
  for (const leftover of await removeWriteLeftovers(declaration.seal.path, hostTag())) {
    log(`removed ${leftover}, left by an interrupted seal (its webhook was never confirmed, so its secret is dead)`);
  }
  const waitUntil = Date.now() + PENDING_LEASE_MS + 10_000;
  let lostRace = false;
  // Creates made so far: polls while another run's create is at work do not count.
  let creates = 0;
  for (;;) {
    const owners = readOwners(await client.list());
    const key = keyWebhooks(owners, owner);
    const tucoNow = client.serverNow();
    const running = key.pending.filter((w) => createStillRunning(w, tucoNow));
    const sealedId = await sealedIdAt(declaration.seal.path);
    for (const w of key.pending) {
      if (running.includes(w)) continue;
      if (key.own.length === 0 && w.webhook.id === sealedId) {
        // The stopped run sealed this webhook's secret before it could confirm it: finish the create.
        await client.update(w.webhook.id, { description: withMarker(w.description, confirmedMarker(owner, w.webhook.id)) });
        key.own.push({ ...w, marker: confirmedMarker(owner, w.webhook.id), claim: "owned" });
        log(`finishing an interrupted create: webhook ${showId(w.webhook.id)} was never confirmed, but its secret is sealed in ${declaration.seal.path} (the file is labelled with its id): confirmed it`);
        continue;
      }
      const settled = await deleteStoppedCreate(client, w);
      // Confirmed by its own run since the list: the key's webhook now.
      if (typeof settled === "object" && settled.claim === "owned" && isStackOwner(settled.marker?.owner, owner)) key.own.push(settled);
      if (settled === "deleted") log(`finishing an interrupted create: webhook ${showId(w.webhook.id)} was created but never confirmed (the run that created it was stopped), so nobody holds its secret: deleted it`);
    }
    if (key.own.length > 0) {
      const keep = await keepOne(client, declaration, key.own.sort(oldestFirst), log);
      if (declaration.adoptId !== null && declaration.adoptId !== keep.webhook.id) {
        throw new OwnershipError(
          `adoptId ${showId(declaration.adoptId)}: stack ${owner.stack} key ${owner.key} already owns webhook ${keep.webhook.id}. Remove adoptId, or delete ${keep.webhook.id} first (tuco-webhooks delete --id ${keep.webhook.id} --force).`,
          [keep.webhook.id],
        );
      }
      if (sealedId !== undefined && sealedId !== keep.webhook.id) {
        log(`warning: ${declaration.seal.path} holds the secret of webhook ${showId(sealedId)}, not of this key's webhook ${keep.webhook.id}: this key's secret is not there. If no other run holds it, delete ${keep.webhook.id} (tuco-webhooks delete --id ${keep.webhook.id} --force) and apply again to get a new one sealed.`);
      }
      if (lostRace) log(`this run sealed nothing: webhook ${keep.webhook.id} was created by another run at the same time, and that run's sealed file holds its secret`);
      return reconcile(client, declaration, owner, keep, log);
    }
    if (running.length > 0) {
      if (Date.now() > waitUntil) {
        throw new WebhookApplyError(`another run has been creating this webhook (webhook ${showId(running[0].webhook.id)}) for too long: if no other run is active, delete it (tuco-webhooks delete --id ${showId(running[0].webhook.id)} --force) and apply again.`);
      }
      log(`waiting for another run that is creating this webhook (webhook ${showId(running[0].webhook.id)}, not yet confirmed)`);
      await sleep(options.pollMs ?? 500);
      continue;
    }
    if (declaration.adoptId !== null) return adoptDeclared(client, declaration, owner, log);
    const blocking = inTheWayOfCreate(owners, key, declaration.spec);
    if (blocking.length > 0) throw inTheWay(declaration, owner, blocking);
    const sealedFor = sealedId === undefined ? undefined : owners.find((w) => w.webhook.id === sealedId);
    if (sealedFor) {
      // Sealing here would overwrite the only copy of a live webhook's secret.
      throw new OwnershipError(
        `Not creating webhook ${JSON.stringify(declaration.spec.name)} for stack ${owner.stack} key ${owner.key}: its seal path ${declaration.seal.path} holds the secret of live webhook ${describeWebhook(sealedFor)}` +
          `${sealedFor.marker ? `, of ${describeOwner(sealedFor.marker.owner)}` : ""}, and sealing this one there would lose it. Give each webhook its own seal path.`,
        [sealedFor.webhook.id],
      );
    }
    if (creates === MAX_CREATE_ROUNDS) {
      throw new WebhookApplyError(`creating webhook ${JSON.stringify(declaration.spec.name)} was undone ${MAX_CREATE_ROUNDS} times by other runs creating it at the same time: nothing of this run's is left. Apply again once the other runs are done.`);
    }
    creates += 1;
    const outcome = await createSealConfirm(client, declaration, owner, log, options.onSecret ?? (() => {}));
    if (outcome !== LOST_RACE) return outcome;
    lostRace = true;
  }
}

/** Adopts the declaration's `adoptId`, patches it to match, health-checks it; its secret is known only if the sealed file already holds it. */
async function adoptDeclared(client: TucoClient, declaration: WebhookDeclaration, owner: StackOwner, log: Log): Promise<ApplyResult> {
  const id = declaration.adoptId!;
  const sealed = (await sealedIdAt(declaration.seal.path)) === id;
  const note = sealed ? `its secret is the one sealed in ${declaration.seal.path} (labelled with this webhook's id)` : undefined;
  const { owned: adopted } = await adoptWebhook(client, owner, id, log, note);
  const result = await reconcile(client, declaration, owner, adopted, log, "adopted");
  if (!sealed) {
    log(
      `warning: the signing secret of adopted webhook ${showId(adopted.webhook.id)} is unknown (Tuco returns it only once, at creation) and no sealed file here holds it. ` +
        `If you no longer have it, remove adoptId and delete the webhook (tuco-webhooks delete --id ${showId(adopted.webhook.id)} --force): the next apply creates a new one and seals its secret.`,
    );
  }
  return { ...result, sealedSecretPath: sealed ? declaration.seal.path : null };
}
