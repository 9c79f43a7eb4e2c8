/**
 * The durable marker that says which stack and construct own a webhook, kept in the API itself
 * (a webhook's `description`), so an ephemeral runner with no local files can still find what a
 * stack created, and never touch what it did not; and finding a stack's webhooks by it.
 *
 * Format: the user's description, then (after a blank line when there is one) a last line
 * `[tuco-webhooks stack=<stack> key=<key>]`. `stack` and `key` use [A-Za-z0-9._/-] only.
 */
import type { Webhook } from "../api/types";
import { showValue } from "../private/text";
import { invalid, valid, type Checked } from "./problems";

/** Who owns a webhook: a stack name and the construct's key within it. */
export interface Owner {
  readonly stack: string;
  readonly key: string;
}

const PART = /^[A-Za-z0-9._/-]{1,200}$/;
const TAG = /(?:^|\n\n)\[tuco-webhooks stack=([A-Za-z0-9._/-]+) key=([A-Za-z0-9._/-]+)\]$/;

/** Checks a stack name or key for the marker; `field` names it as the user gave it (default: `what`). */
export function checkOwnerPart(what: "stack" | "key", value: unknown, field: string = what): Checked<string> {
  if (typeof value === "string" && PART.test(value)) return valid(value);
  const why = typeof value === "string" ? "cannot mark webhook ownership" : "is missing or not a string";
  return invalid({ field, value, message: `${field} ${showValue(value)} ${why}: use 1-200 characters of A-Z a-z 0-9 . _ / -` });
}

/** The marker line for an owner. The owner's parts must have passed `checkOwnerPart`. */
export function ownerTag(owner: Owner): string {
  for (const part of ["stack", "key"] as const) {
    const checked = checkOwnerPart(part, owner[part]);
    if (checked.value === undefined) throw new RangeError(checked.problems[0].message);
  }
  return `[tuco-webhooks stack=${owner.stack} key=${owner.key}]`;
}

/** The description to send to the API: the user's text with the owner marker appended. */
export function withOwnerTag(description: string | null, owner: Owner): string {
  const tag = ownerTag(owner);
  return description ? `${description}\n\n${tag}` : tag;
}

/** Splits a live description into the user's part and the owner, if marked. */
export function parseOwnerTag(description: string | null): { description: string | null; owner: Owner | undefined } {
  if (!description) return { description: null, owner: undefined };
  const match = TAG.exec(description);
  if (!match) return { description, owner: undefined };
  const rest = description.slice(0, match.index);
  return { description: rest === "" ? null : rest, owner: { stack: match[1], key: match[2] } };
}

/** A live webhook with its ownership marker read: the user's description and the owner, if marked. */
export interface OwnedWebhook {
  readonly webhook: Webhook;
  /** The description without the marker (null when empty). */
  readonly description: string | null;
  readonly owner: Owner | undefined;
}

/** Reads every webhook's ownership marker. */
export function readOwners(webhooks: readonly Webhook[]): OwnedWebhook[] {
  return webhooks.map((webhook) => ({ webhook, ...parseOwnerTag(webhook.description) }));
}

/** Orders by creation time, then id, so the choice of the one to keep is stable. */
export function oldestFirst(a: OwnedWebhook, b: OwnedWebhook): number {
  const byTime = Date.parse(a.webhook.createdAt) - Date.parse(b.webhook.createdAt);
  return byTime !== 0 && !Number.isNaN(byTime) ? byTime : a.webhook.id < b.webhook.id ? -1 : a.webhook.id > b.webhook.id ? 1 : 0;
}

/** The webhooks marked with `stack`, oldest first. */
export function findStackWebhooks(webhooks: readonly Webhook[], stack: string): OwnedWebhook[] {
  return readOwners(webhooks)
    .filter((t) => t.owner?.stack === stack)
    .sort(oldestFirst);
}

/** The webhooks whose marker is exactly `owner`, oldest first (createdAt, then id). */
export function findOwned(webhooks: readonly Webhook[], owner: Owner): OwnedWebhook[] {
  return findStackWebhooks(webhooks, owner.stack).filter((t) => t.owner?.key === owner.key);
}
