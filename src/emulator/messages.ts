import type { ErrorBody } from "../api/types";

/**
 * Error bodies in the real API's shape (`{"error": string, "code"?, "reason"?}`), as named
 * constants so every route answers with exactly the same text the contract documents.
 */
export const UNAUTHORIZED: ErrorBody = { error: "Unauthorized" };
export const WEBHOOK_NOT_FOUND: ErrorBody = { error: "Webhook not found" };
export const NOT_FOUND: ErrorBody = { error: "Not found" };
export const METHOD_NOT_ALLOWED: ErrorBody = { error: "Method not allowed" };
export const INVALID_JSON_BODY: ErrorBody = { error: "Invalid JSON body" };
export const PAYLOAD_TOO_LARGE: ErrorBody = { error: "Payload too large" };
export const TOO_MANY_REQUESTS: ErrorBody = { error: "Too many requests" };
export const NO_ACTIVE_WORKSPACE: ErrorBody = { error: "No active workspace" };
export const READ_ONLY: ErrorBody = { error: "READ_ONLY", code: "READ_ONLY", reason: "past_due" };

export const URL_REQUIRED: ErrorBody = { error: "URL is required" };
export const INVALID_URL_FORMAT: ErrorBody = { error: "Invalid URL format" };
export const EVENTS_REQUIRED: ErrorBody = { error: "At least one event must be selected" };
export const NAME_REQUIRED: ErrorBody = { error: "Name is required" };
export const IS_ACTIVE_NOT_BOOLEAN: ErrorBody = { error: "isActive must be a boolean" };
export const DESCRIPTION_NOT_STRING: ErrorBody = { error: "Description must be a string" };
export const URL_TOO_LONG: ErrorBody = { error: "URL is too long" };
export const NAME_TOO_LONG: ErrorBody = { error: "Name is too long" };
export const DESCRIPTION_TOO_LONG: ErrorBody = { error: "Description is too long" };

/** `Invalid events: a, b`: the unknown entries, as given, comma+space separated. */
export function invalidEvents(bad: readonly unknown[]): ErrorBody {
  return { error: `Invalid events: ${bad.map((e) => (typeof e === "string" ? e : JSON.stringify(e))).join(", ")}` };
}

/** The `warning` of the 201 answer to `POST /api/webhooks`. */
export const SECRET_WARNING = "Save this secret now. You will not be able to see it again.";

/** The `data` of the health-check ping. */
export const HEALTH_CHECK_DATA = { test: true, message: "This is a health check test webhook from Tuco AI" } as const;
export const HEALTH_CHECK_PASSED = "Health check passed";
export const TIMEOUT_ERROR = "The operation was aborted due to timeout";

/** Longest accepted values; longer ones answer 400 `<Field> is too long` (the real limits are not published). */
export const MAX_URL_LENGTH = 2048;
export const MAX_NAME_LENGTH = 256;
export const MAX_DESCRIPTION_LENGTH = 4096;
/** Largest accepted request body in bytes (1 MiB); larger ones answer 413 without being buffered. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Longest receiver answer echoed back in a health-check result. */
export const MAX_ECHOED_BODY_CHARS = 1000;
