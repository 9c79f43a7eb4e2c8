import type { Webhook } from "../api/types";
import { parseOwnerTag, type Owner } from "../webhook/ownership";

/** A webhook with its ownership marker parsed: the user's description and the owner, if tagged. */
export interface TaggedWebhook {
  readonly webhook: Webhook;
  /** The description without the marker (null when empty). */
  readonly description: string | null;
  readonly owner: Owner | undefined;
}

/** Parses every webhook's ownership marker. */
export function tagged(webhooks: readonly Webhook[]): TaggedWebhook[] {
  return webhooks.map((webhook) => ({ webhook, ...parseOwnerTag(webhook.description) }));
}

/** The webhooks whose marker is exactly `owner`, oldest first (createdAt, then id). */
export function findOwned(webhooks: readonly Webhook[], owner: Owner): TaggedWebhook[] {
  return tagged(webhooks)
    .filter((t) => t.owner?.stack === owner.stack && t.owner.key === owner.key)
    .sort(oldestFirst);
}

/** Orders by creation time, then id, so the choice of the one to keep is stable. */
export function oldestFirst(a: TaggedWebhook, b: TaggedWebhook): number {
  const byTime = Date.parse(a.webhook.createdAt) - Date.parse(b.webhook.createdAt);
  return byTime !== 0 && !Number.isNaN(byTime) ? byTime : a.webhook.id < b.webhook.id ? -1 : a.webhook.id > b.webhook.id ? 1 : 0;
}
