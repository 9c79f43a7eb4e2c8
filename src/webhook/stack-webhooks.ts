/**
 * What one stack instance sees of the workspace: for each key, the webhook it provably owns, its
 * unfinished creates, and what is in the way (another instance's webhook under the same stack and
 * key, a 0.1 marker, a copied marker, or an unmarked look-alike delivering to the same url under the
 * same name). Whether an unfinished create's process is still at work, from its nonce.
 */
import { processAlive } from "../private/process";
import { hostTag, isStackOwner, oldestFirst, parseCreateNonce, type OwnedWebhook, type StackOwner } from "./ownership";
import type { WebhookSpec } from "./spec";

/** How long a create of another machine may stay pending before it is taken for interrupted, in ms (a create takes seconds). */
export const PENDING_LEASE_MS = 120_000;

/** One key of a stack instance, as the workspace holds it. */
export interface KeyWebhooks {
  /** Webhooks whose confirmed marker is this instance's for this key (one, unless a race made more). Oldest first. */
  readonly own: OwnedWebhook[];
  /** Creates of this instance and key that have not confirmed yet. Oldest first. */
  readonly pending: OwnedWebhook[];
  /** Webhooks that name this stack and key but are not provably this instance's: another instance's, a 0.1 marker, a copy. */
  readonly foreign: OwnedWebhook[];
}

/** The webhooks of one stack instance's key. */
export function keyWebhooks(owners: readonly OwnedWebhook[], owner: StackOwner): KeyWebhooks {
  const own: OwnedWebhook[] = [];
  const pending: OwnedWebhook[] = [];
  const foreign: OwnedWebhook[] = [];
  for (const w of owners) {
    const named = w.marker?.owner;
    if (!named || named.tool === "pulumi" || named.stack !== owner.stack || named.key !== owner.key) continue;
    if (isStackOwner(named, owner) && w.claim === "owned") own.push(w);
    else if (isStackOwner(named, owner) && w.claim === "pending") pending.push(w);
    else foreign.push(w);
  }
  return { own: own.sort(oldestFirst), pending: pending.sort(oldestFirst), foreign: foreign.sort(oldestFirst) };
}

/** Every key of one stack instance that the workspace holds webhooks (owned or pending) for. */
export function instanceWebhooks(owners: readonly OwnedWebhook[], instance: Omit<StackOwner, "key">): Map<string, { own: OwnedWebhook[]; pending: OwnedWebhook[] }> {
  const byKey = new Map<string, { own: OwnedWebhook[]; pending: OwnedWebhook[] }>();
  for (const w of [...owners].sort(oldestFirst)) {
    const named = w.marker?.owner;
    if (!isStackOwner(named, instance) || named?.tool !== "cdktf" || (w.claim !== "owned" && w.claim !== "pending")) continue;
    const entry = byKey.get(named.key) ?? { own: [], pending: [] };
    (w.claim === "owned" ? entry.own : entry.pending).push(w);
    byKey.set(named.key, entry);
  }
  return byKey;
}

/**
 * Webhooks nobody provably owns that deliver to the same url under the same name as `spec`: a
 * webhook whose marker was removed or edited in the Tuco app, a copy. Creating another would
 * deliver every event twice.
 */
export function lookalikes(owners: readonly OwnedWebhook[], spec: Pick<WebhookSpec, "url" | "name">, except: ReadonlySet<string> = new Set()): OwnedWebhook[] {
  return owners
    .filter((w) => w.claim !== "owned" && w.claim !== "pending" && !except.has(w.webhook.id))
    .filter((w) => w.webhook.url === spec.url && w.webhook.name === spec.name)
    .sort(oldestFirst);
}

/**
 * The webhooks in the way of a create of `key`'s webhook: those that name the stack and key but are
 * not provably this instance's (`key.foreign`), and unmarked look-alikes of `spec`. Oldest first.
 */
export function inTheWayOfCreate(owners: readonly OwnedWebhook[], key: KeyWebhooks, spec: Pick<WebhookSpec, "url" | "name">): OwnedWebhook[] {
  return [...key.foreign, ...lookalikes(owners, spec, new Set(key.foreign.map((w) => w.webhook.id)))];
}

/**
 * Whether the create that wrote a pending marker may still be at work: at most for
 * `PENDING_LEASE_MS` after Tuco created the webhook, measured on Tuco's clock (`tucoNow`, from
 * `TucoClient.serverNow()`), so neither machine's clock skew counts (a create that cannot confirm
 * within half of it undoes itself); within it, where its pid means something (this machine, this
 * pid namespace), only while that process runs. So a pid reused by another process after the
 * create was killed holds nothing up past the lease. A create that is not at work is interrupted:
 * its secret was never kept, and the webhook is to be replaced.
 */
export function createStillRunning(w: OwnedWebhook, tucoNow: number): boolean {
  const nonce = parseCreateNonce(w.marker?.pending ?? "");
  if (!nonce) return false;
  const created = Date.parse(w.webhook.createdAt);
  const withinLease = Number.isNaN(created) || tucoNow - created <= PENDING_LEASE_MS;
  if (!withinLease) return false;
  return nonce.host === hostTag() ? nonce.pid === process.pid || processAlive(nonce.pid) : true;
}
