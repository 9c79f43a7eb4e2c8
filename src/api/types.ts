/** The five message events Tuco delivers, in the order the API documents them. */
export const WEBHOOK_EVENTS = [
  "message.sent",
  "message.failed",
  "message.fallback",
  "message.reply",
  "message.opened",
] as const;

/** One of the five message events Tuco delivers. */
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** A webhook as `GET /api/webhooks` and `GET /api/webhooks/{id}` return it (never the secret). */
export interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly events: string[];
  readonly name: string;
  readonly description: string | null;
  readonly isActive: boolean;
  readonly lastTriggeredAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
  readonly failureCount: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Body of `POST /api/webhooks`. */
export interface CreateWebhookInput {
  readonly url: string;
  readonly events: readonly string[];
  readonly name: string;
  readonly description?: string;
}

/** The 201 answer of `POST /api/webhooks`: the only time `secret` is ever returned. */
export interface CreatedWebhook {
  readonly id: string;
  readonly secret: string;
  readonly url: string;
  readonly events: string[];
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: string;
  readonly warning: string;
}

/** Body of `PATCH /api/webhooks/{id}`: only the fields to change. `description: ""` clears it (the schema types it as a string; the emulator also takes null). */
export interface UpdateWebhookInput {
  readonly url?: string;
  readonly events?: readonly string[];
  readonly name?: string;
  readonly description?: string | null;
  readonly isActive?: boolean;
}

/** The 200 answer of `POST /api/webhooks/{id}/health-check` (200 even when the endpoint failed). */
export interface HealthCheckResult {
  readonly success: boolean;
  readonly message?: string;
  readonly statusCode?: number;
  readonly response?: string;
  readonly error?: string;
  readonly details?: string;
}

/** The error body every failing Tuco endpoint answers with. */
export interface ErrorBody {
  readonly error: string;
  readonly code?: string;
  readonly reason?: string;
}

/** Headers Tuco sets on every delivery and health-check ping. */
export const SIGNATURE_HEADER = "x-tuco-signature";
export const EVENT_HEADER = "x-tuco-event";
export const TIMESTAMP_HEADER = "x-tuco-timestamp";

/** Where the real API lives; `TUCO_API_URL` overrides it. */
export const DEFAULT_API_URL = "https://app.tuco.ai";
