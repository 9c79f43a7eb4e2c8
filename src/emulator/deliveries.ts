import { STATUS_CODES } from "node:http";
import { randomBytes } from "node:crypto";
import { fetch, type Dispatcher } from "undici";
import { EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, type HealthCheckResult } from "../api/types";
import { signTucoPayload } from "../receiver/signature";
import { HEALTH_CHECK_DATA, HEALTH_CHECK_PASSED, MAX_ECHOED_BODY_CHARS, TIMEOUT_ERROR } from "./messages";

/** What one signed POST to a webhook URL came to. */
export interface DeliveryAttempt {
  readonly success: boolean;
  /** The receiver's status, when it answered. */
  readonly statusCode?: number;
  /** `HTTP <code>: <reason>`, the timeout message, or the network error message. */
  readonly error?: string;
  /** The receiver's body (truncated) on an answer, the cause on a network error. */
  readonly details?: string;
  /** The receiver's body (truncated), when it answered. */
  readonly responseText?: string;
}

function truncate(text: string): string {
  return text.length > MAX_ECHOED_BODY_CHARS ? text.slice(0, MAX_ECHOED_BODY_CHARS) : text;
}

function causeMessage(err: unknown): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  if (!(cause instanceof Error)) return undefined;
  if (cause.message) return cause.message;
  // Happy-eyeballs failures are AggregateErrors with an empty message.
  const inner = (cause as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner[0] instanceof Error && inner[0].message) return inner[0].message;
  const code = (cause as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** What every delivery body carries: the event and the timestamp, which are sent as headers too. */
export interface DeliveryPayload {
  readonly event: string;
  readonly timestamp: string;
}

/** `deliver` with the dispatcher and timeout bound: what the routes are given to ping and fire with. */
export type Deliver = (url: string, secret: string, payload: DeliveryPayload) => Promise<DeliveryAttempt>;

/**
 * POSTs `payload` to `url`, signed with `secret` exactly as Tuco signs: X-Tuco-Signature is the hex
 * HMAC-SHA256 of the raw body. One attempt, no retry, aborted after `timeoutMs`.
 */
export async function deliver(
  dispatcher: Dispatcher,
  url: string,
  secret: string,
  payload: DeliveryPayload,
  timeoutMs: number,
): Promise<DeliveryAttempt> {
  const rawBody = JSON.stringify(payload);
  try {
    const res = await fetch(url, {
      method: "POST",
      dispatcher,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        "content-type": "application/json",
        [SIGNATURE_HEADER]: signTucoPayload(rawBody, secret),
        [EVENT_HEADER]: payload.event,
        [TIMESTAMP_HEADER]: payload.timestamp,
        "user-agent": "Tuco-Webhooks-Emulator/1.0",
      },
      body: rawBody,
    });
    const text = truncate(await res.text());
    if (res.status >= 200 && res.status < 300) return { success: true, statusCode: res.status, responseText: text };
    const reason = res.statusText || STATUS_CODES[res.status] || "Unknown";
    return { success: false, statusCode: res.status, error: `HTTP ${res.status}: ${reason}`, details: text, responseText: text };
  } catch (err) {
    if (err instanceof Error && err.name === "TimeoutError") return { success: false, error: TIMEOUT_ERROR };
    const message = err instanceof Error && err.message ? err.message : String(err);
    const details = causeMessage(err);
    return { success: false, error: message, ...(details !== undefined && { details }) };
  }
}

/** Binds `deliver` to a dispatcher and a timeout. */
export function deliverWith(dispatcher: Dispatcher, timeoutMs: number): Deliver {
  return (url, secret, payload) => deliver(dispatcher, url, secret, payload, timeoutMs);
}

/** The health-check ping body: the webhook's first subscribed event, a timestamp and the workspace id. */
export function healthCheckPayload(event: string, workspaceId: string, timestamp: string) {
  return { event, timestamp, workspaceId, data: HEALTH_CHECK_DATA };
}

/** Maps one attempt to the API's health-check answer. */
export function toHealthCheckResult(attempt: DeliveryAttempt): HealthCheckResult {
  if (attempt.success) {
    return { success: true, message: HEALTH_CHECK_PASSED, statusCode: attempt.statusCode, response: attempt.responseText ?? "" };
  }
  return {
    success: false,
    error: attempt.error,
    ...(attempt.details !== undefined && { details: attempt.details }),
    ...(attempt.statusCode !== undefined && { statusCode: attempt.statusCode }),
  };
}

const MESSAGE_STATUS: Record<string, string> = {
  "message.sent": "sent",
  "message.failed": "failed",
  "message.fallback": "fallback",
  "message.reply": "received",
  "message.opened": "opened",
};

/** A plausible message event payload; the real one carries more fields. */
export function eventPayload(
  event: string,
  workspaceId: string,
  timestamp: string,
  data: Record<string, unknown>,
  messageId: string = `msg_${randomBytes(12).toString("hex")}`,
) {
  const leadId = `lead_${randomBytes(12).toString("hex")}`;
  return {
    event,
    timestamp,
    workspaceId,
    messageId,
    message: {
      id: messageId,
      direction: event === "message.reply" ? "inbound" : "outbound",
      channel: event === "message.fallback" ? "sms" : "imessage",
      status: MESSAGE_STATUS[event] ?? "sent",
      content: event === "message.reply" ? "Sounds good, talk soon!" : "Hi Ada, thanks for your interest in Tuco.",
      createdAt: timestamp,
    },
    leadId,
    lead: { id: leadId, firstName: "Ada", lastName: "Lovelace", phone: "+15555550100", email: "ada@example.com" },
    data,
  };
}
