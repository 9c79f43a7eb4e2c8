import type { UpdateWebhookInput, Webhook } from "../api/types";
import { normalizeEvents, type WebhookField, type WebhookSpec } from "./spec";

/** The fields of a live webhook that a user can declare. */
export type LiveWebhookFields = Pick<Webhook, "url" | "events" | "name" | "description" | "isActive">;

/** What differs between a desired and a live webhook, and the PATCH body that fixes it. */
export interface WebhookDiff {
  /** Changed fields, in the order url, events, name, description, isActive. */
  readonly changed: WebhookField[];
  /** Exactly the changed fields, as `PATCH /api/webhooks/{id}` takes them. Empty when in sync. */
  readonly patch: UpdateWebhookInput;
}

function sameEvents(a: readonly string[], b: readonly string[]): boolean {
  const x = normalizeEvents(a);
  const y = normalizeEvents(b);
  return x.length === y.length && x.every((e, i) => e === y[i]);
}

/** Compares a desired spec with a live webhook. Event order and duplicates never count; null and "" descriptions are equal. */
export function diffWebhook(desired: WebhookSpec, live: LiveWebhookFields): WebhookDiff {
  const changed: WebhookField[] = [];
  const patch: { -readonly [K in keyof UpdateWebhookInput]: UpdateWebhookInput[K] } = {};
  if (desired.url !== live.url) {
    changed.push("url");
    patch.url = desired.url;
  }
  if (!sameEvents(desired.events, live.events ?? [])) {
    changed.push("events");
    patch.events = desired.events;
  }
  if (desired.name !== live.name) {
    changed.push("name");
    patch.name = desired.name;
  }
  if ((desired.description ?? "") !== (live.description ?? "")) {
    changed.push("description");
    // The schema types description as a string: "" clears it (null is not in the contract).
    patch.description = desired.description ?? "";
  }
  if (desired.isActive !== live.isActive) {
    changed.push("isActive");
    patch.isActive = desired.isActive;
  }
  return { changed, patch };
}
