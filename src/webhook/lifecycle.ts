/**
 * The webhook lifecycle both front ends share: create (with the recovery of a lost answer),
 * reconcile (PATCH what differs), delete (a 404 means gone).
 */
import type { TucoClient } from "../api/client";
import { TucoCreateOutcomeUnknownError, TucoError, TucoNotFoundError } from "../api/errors";
import type { Webhook } from "../api/types";
import { sleep } from "../private/process";
import { showId } from "../private/text";
import { diffWebhook, type WebhookDiff } from "./diff";
import { PENDING_CREATE_ATTEMPTS_MS, readOwners, type OwnedWebhook } from "./ownership";
import type { WebhookSpec } from "./spec";
import { createStillRunning } from "./stack-webhooks";

/** A freshly created webhook and its one-time secret. */
export interface CreatedWebhookState {
  readonly webhook: Webhook;
  readonly secret: string;
}

/** Where lifecycle steps report what they did beyond the happy path. */
export type Log = (message: string) => void;

/** The webhook exists but a follow-up step of its creation failed; the secret is kept here so nothing is lost. */
export class PartialCreateError extends TucoError {
  readonly code = "PARTIAL_CREATE";
  // A private field behind a getter: logging or serializing the error never shows the secret.
  readonly #state: CreatedWebhookState;
  constructor(state: CreatedWebhookState, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`Webhook ${state.webhook.id} was created, but pausing it (isActive: false) failed: ${why}. Apply again to finish.`, { cause });
    this.#state = state;
  }

  /** The webhook that was created and its one-time secret. Not shown by `util.inspect` or `JSON.stringify`. */
  get state(): CreatedWebhookState {
    return this.#state;
  }
}

/** Options of `createWebhook`. */
export interface CreateWebhookOptions {
  /** Tells this very create's webhook when its answer was lost (by the per-create value its description carries). @default - the client's match on the request's fields */
  readonly isThisCreate?: (webhook: Webhook) => boolean;
  /** PATCH `isActive: false` right after the create when the spec asks for a paused webhook. @default true - false when the caller does it in a later PATCH */
  readonly pause?: boolean;
}

/**
 * After a create that was tried again because an attempt got no answer: that attempt may still
 * have made a webhook, shown only once Tuco is done with it. Waits a moment, then deletes every
 * webhook of this very create but the one kept: nobody holds their secret. One that shows up later
 * still carries this create's pending marker, and the next run deletes it as a stopped create.
 */
async function deleteLateTwins(client: TucoClient, spec: WebhookSpec, kept: string, isThisCreate: (w: Webhook) => boolean, log: Log): Promise<void> {
  await sleep(client.lateCreateWaitMs);
  await deleteTwinsOfCreate(client, await client.list(), spec, kept, isThisCreate, log);
}

/**
 * Deletes, among `webhooks` (a list read after the create), the ones this very create made besides
 * `kept` (attempts that got no answer); returns their ids.
 */
export async function deleteTwinsOfCreate(client: TucoClient, webhooks: readonly Webhook[], spec: WebhookSpec, kept: string, isThisCreate: (w: Webhook) => boolean, log: Log): Promise<string[]> {
  const twins = webhooks.filter((w) => w.id !== kept && isThisCreate(w));
  for (const twin of twins) {
    await deleteWebhook(client, twin.id);
    log(`Creating webhook ${JSON.stringify(spec.name)}: an earlier attempt that got no answer made webhook ${showId(twin.id)} after all; nobody holds its secret: deleted it, kept ${showId(kept)}.`);
  }
  return twins.map((w) => w.id);
}

/**
 * Creates the webhook a spec declares and returns it with its one-time secret.
 * The API always creates webhooks active, so `isActive: false` costs a PATCH.
 * When a create's answer was lost but Tuco made the webhook, its secret can never be
 * known: that secretless twin (this very create's, told by `isThisCreate`) is deleted and the
 * create is made once more, and `log` says so.
 */
export async function createWebhook(client: TucoClient, spec: WebhookSpec, log: Log = () => {}, options: CreateWebhookOptions = {}): Promise<CreatedWebhookState> {
  const input = { url: spec.url, events: spec.events, name: spec.name, ...(spec.description !== null ? { description: spec.description } : {}) };
  let unanswered = false;
  // Every attempt ends within the time a pending marker counts on a webhook, so whatever one made is this create's.
  const createOptions = options.isThisCreate ? { isThisCreate: options.isThisCreate, onUnansweredAttempt: () => (unanswered = true), attemptsUntil: Date.now() + PENDING_CREATE_ATTEMPTS_MS } : {};
  let created;
  try {
    created = await client.create(input, createOptions);
  } catch (err) {
    if (!(err instanceof TucoCreateOutcomeUnknownError) || !err.webhook) throw err;
    const id = err.webhook.id;
    log(`Creating webhook ${JSON.stringify(spec.name)} reached Tuco but ${err.reason}. Tuco created it as ${showId(id)}, but its one-time signing secret never arrived. Deleting ${showId(id)}, whose secret is lost, and creating the webhook again.`);
    await deleteWebhook(client, id);
    try {
      created = await client.create(input, createOptions);
    } catch (again) {
      if (!(again instanceof TucoCreateOutcomeUnknownError) || !again.webhook) throw again;
      // Lost twice: this twin is deleted too, so nothing secretless is left behind.
      const twin = again.webhook.id;
      const deleted = await deleteWebhook(client, twin).then(
        () => true,
        () => false,
      );
      throw new TucoCreateOutcomeUnknownError(
        `Creating webhook ${JSON.stringify(spec.name)} reached Tuco twice, and both answers were lost (last: ${again.reason}). ` +
          (deleted
            ? `Both webhooks Tuco made (${showId(id)}, ${showId(twin)}) were deleted again, since nobody holds their secret: nothing is left. Apply again once Tuco answers reliably.`
            : `${showId(id)} was deleted; deleting ${showId(twin)} failed, so it is left, active and without a known secret. It carries a marker of a create that never finished: the next apply deletes it (or: tuco-webhooks delete --id ${showId(twin)} --force).`),
        deleted ? undefined : again.webhook,
        { cause: again.cause, reason: again.reason },
      );
    }
  }
  if (unanswered && options.isThisCreate) {
    // The create succeeded: a failing sweep must not lose its secret. A twin left carries this create's pending marker, which the next run deletes.
    await deleteLateTwins(client, spec, created.id, options.isThisCreate, log).catch((err: unknown) =>
      log(`Creating webhook ${JSON.stringify(spec.name)}: looking for a webhook an unanswered attempt may have made failed (${err instanceof Error ? err.message : String(err)}); the next apply deletes any such webhook.`),
    );
  }
  const now = created.createdAt;
  const webhook: Webhook = {
    id: created.id,
    url: created.url,
    events: created.events,
    name: created.name,
    description: created.description ?? null,
    isActive: true,
    lastTriggeredAt: null,
    lastSuccessAt: null,
    lastFailureAt: null,
    failureCount: 0,
    createdAt: now,
    updatedAt: now,
  };
  const state = { webhook, secret: created.secret };
  if (!spec.isActive && options.pause !== false) {
    try {
      await client.update(created.id, { isActive: false });
    } catch (err) {
      throw new PartialCreateError(state, err);
    }
    return { webhook: { ...webhook, isActive: false }, secret: created.secret };
  }
  return state;
}

/**
 * PATCHes exactly what differs between the spec and the live webhook; no request when in sync.
 * The returned webhook is the live one with the spec applied; its `updatedAt` is the local
 * clock's (the PATCH answer carries no webhook): re-read it when Tuco's own value matters.
 */
export async function reconcileWebhook(client: TucoClient, spec: WebhookSpec, live: Webhook): Promise<{ diff: WebhookDiff; webhook: Webhook }> {
  const diff = diffWebhook(spec, live);
  if (diff.changed.length === 0) return { diff, webhook: live };
  await client.update(live.id, diff.patch);
  const webhook: Webhook = { ...live, ...spec, events: [...spec.events], updatedAt: new Date().toISOString() };
  return { diff, webhook };
}

/** What `deleteWebhook` found: it deleted the webhook, or the webhook was already gone. */
export type DeleteOutcome = "deleted" | "already-gone";

/** Deletes a webhook; one that is already gone (404) counts as deleted. Every other error is thrown. */
export async function deleteWebhook(client: Pick<TucoClient, "delete">, id: string): Promise<DeleteOutcome> {
  try {
    await client.delete(id);
    return "deleted";
  } catch (err) {
    if (err instanceof TucoNotFoundError) return "already-gone";
    throw err;
  }
}

/**
 * Deletes the webhook of a stopped create (`w`, pending, judged on a list) after reading it once
 * more, since that list may be stale: "deleted", "gone" when it already was, or the webhook as it
 * reads now when it is no longer that stopped create's (confirmed since, another create's value,
 * or its create found still running), which is then left alone.
 */
export async function deleteStoppedCreate(client: TucoClient, w: OwnedWebhook): Promise<"deleted" | "gone" | OwnedWebhook> {
  const live = await client.tryGet(w.webhook.id);
  if (!live) return "gone";
  const [now] = readOwners([live]);
  if (now.claim !== "pending" || now.marker?.pending !== w.marker?.pending || createStillRunning(now, client.serverNow())) return now;
  await deleteWebhook(client, w.webhook.id);
  return "deleted";
}
