/** What an apply of a declared webhook returns, the errors it throws, and how its messages name a webhook from the API. */
import { TucoError } from "../api/errors";
import { quoteUntrusted, showId } from "../private/text";
import type { HealthCheckOutcome } from "./health";
import type { OwnedWebhook } from "./ownership";
import type { WebhookField } from "./spec";

/** What an apply did. */
export interface ApplyResult {
  readonly action: "created" | "updated" | "unchanged" | "adopted";
  readonly id: string;
  readonly changed: WebhookField[];
  /** The health-check run after the apply, under the declaration's `healthCheck` policy. */
  readonly lastHealthCheck: HealthCheckOutcome;
  /** Where the secret is sealed: a new webhook's (created), or an adopted webhook's that the sealed file already holds; null otherwise. */
  readonly sealedSecretPath: string | null;
}

/** An apply could not finish. The message says what it left behind and what the next apply does. */
export class WebhookApplyError extends TucoError {
  readonly code = "APPLY_FAILED";
}

/** A webhook this stack instance does not provably own is in the way, or an adopt was refused; the message names it and the way out. */
export class OwnershipError extends TucoError {
  readonly code = "OWNERSHIP";
  /** The webhooks in the way. */
  readonly webhookIds: readonly string[];
  constructor(message: string, webhookIds: readonly string[]) {
    super(message);
    this.webhookIds = webhookIds;
  }
}

/** One line naming a webhook from the API for a message: its id, name and url, quoted as text from outside. */
export function describeWebhook(w: OwnedWebhook): string {
  return `${showId(w.webhook.id)} (name ${quoteUntrusted(w.webhook.name)}, url ${quoteUntrusted(w.webhook.url)})`;
}
