/** The Webhook resource's outputs, as the provider runtime builds them from a live webhook. */
import type { Webhook } from "../api/types";
import { SKIPPED_HEALTH_CHECK, type HealthCheckOutcome, type HealthCheckPolicy } from "../webhook/health";
import { formatMarker, readDescription, type PulumiOwner } from "../webhook/ownership";
import { normalizeEvents, type WebhookSpec } from "../webhook/spec";

/** The last health-check, as the resource reports it. */
export type LastHealthCheck = HealthCheckOutcome;

/** Every output of the resource: the webhook's fields, Tuco's own values, and the provider's settings. No value is ever undefined: the real host rejects undefined. */
export interface WebhookOutputs extends WebhookSpec {
  readonly healthCheck: HealthCheckPolicy;
  readonly adoptId: string | null;
  readonly webhookId: string;
  readonly failureCount: number;
  readonly lastTriggeredAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastHealthCheck: LastHealthCheck;
  /** The ownership marker in the live description ("" when there is none): the provider restores it when it is not this resource's. */
  readonly ownerMarker: string;
  /** This resource's identity in the marker. */
  readonly owner: PulumiOwner;
  /** The signing secret; "" for an adopted webhook (Tuco never returns it again). Declared secret by `Webhook`. */
  readonly secret: string;
}

/** What the outputs carry besides the webhook's own fields. */
export interface OutputSettings {
  readonly secret: string;
  readonly healthCheck: HealthCheckPolicy;
  readonly adoptId: string | null;
  readonly lastHealthCheck: LastHealthCheck;
  readonly owner: PulumiOwner;
}

/** The outputs of a live webhook (its description without the marker). No value is ever undefined. */
export function toOutputs(webhook: Webhook, extra: OutputSettings): WebhookOutputs {
  return {
    webhookId: webhook.id,
    url: webhook.url,
    events: normalizeEvents(webhook.events ?? []) as WebhookSpec["events"],
    name: webhook.name,
    description: readDescription(webhook.description).description,
    isActive: webhook.isActive !== false,
    failureCount: typeof webhook.failureCount === "number" ? webhook.failureCount : 0,
    lastTriggeredAt: webhook.lastTriggeredAt ?? null,
    lastSuccessAt: webhook.lastSuccessAt ?? null,
    lastFailureAt: webhook.lastFailureAt ?? null,
    createdAt: webhook.createdAt ?? "",
    updatedAt: webhook.updatedAt ?? "",
    healthCheck: extra.healthCheck,
    adoptId: extra.adoptId,
    lastHealthCheck: { ...extra.lastHealthCheck },
    ownerMarker: liveMarker(webhook.description),
    owner: { ...extra.owner },
    secret: extra.secret,
  };
}

/** Whether a value from state is a health-check outcome. */
export function isOutcome(value: unknown): value is LastHealthCheck {
  const v = value as Partial<LastHealthCheck> | null;
  return typeof v === "object" && v !== null && typeof v.success === "boolean" && typeof v.skipped === "boolean";
}

/** The last health-check of state, or the skipped one when state holds none. */
export function lastHealthCheckOf(value: unknown): LastHealthCheck {
  return isOutcome(value) ? value : SKIPPED_HEALTH_CHECK;
}

/** The marker line of a live description, "" when it holds none (or nothing readable). */
export function liveMarker(description: string | null): string {
  const { marker } = readDescription(description);
  return marker ? formatMarker(marker) : "";
}
