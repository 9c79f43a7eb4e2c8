/**
 * The durable marker that says which stack and construct own a webhook, kept in the API itself
 * (a webhook's `description`), so an ephemeral runner with no local files can still find what a
 * stack created, and never touch what it did not.
 *
 * Format: the user's description, then (after a blank line when there is one) a last line
 * `[tuco-webhooks stack=<stack> key=<key>]`. `stack` and `key` use [A-Za-z0-9._/-] only.
 */
import { showValue } from "./spec";

/** Who owns a webhook: a stack name and the construct's key within it. */
export interface Owner {
  readonly stack: string;
  readonly key: string;
}

const PART = /^[A-Za-z0-9._/-]{1,200}$/;
const TAG = /(?:^|\n\n)\[tuco-webhooks stack=([A-Za-z0-9._/-]+) key=([A-Za-z0-9._/-]+)\]$/;

/** Throws when a stack name or key cannot be written into the marker. */
export function checkOwnerPart(what: "stack" | "key", value: string): void {
  if (!PART.test(value)) {
    throw new Error(`${what} ${showValue(value)} cannot mark webhook ownership: use 1-200 characters of A-Z a-z 0-9 . _ / -`);
  }
}

/** The marker line for an owner. */
export function ownerTag(owner: Owner): string {
  checkOwnerPart("stack", owner.stack);
  checkOwnerPart("key", owner.key);
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
