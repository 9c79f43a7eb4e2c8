import type { Webhook } from "./types";

/** Stable, machine-readable error codes. One per error class. */
export type TucoErrorCode =
  | "INVALID_SPEC"
  | "VALIDATION"
  | "UNAUTHORIZED"
  | "NO_WORKSPACE"
  | "READ_ONLY"
  | "NOT_FOUND"
  | "RATE_LIMITED"
  | "SERVER_ERROR"
  | "UNEXPECTED_RESPONSE"
  | "CONNECTION"
  | "TIMEOUT"
  | "CREATE_OUTCOME_UNKNOWN"
  | "HEALTH_CHECK_FAILED"
  | "CONFIG";

/** Base of every error this package throws. `code` never changes between versions. */
export class TucoError extends Error {
  readonly code: TucoErrorCode;
  constructor(code: TucoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Fields every error that came back from the API carries. */
export interface ApiErrorDetails {
  readonly statusCode: number;
  readonly method: string;
  readonly path: string;
  /** The API's own `error` string (e.g. `Invalid URL format`). */
  readonly apiMessage: string;
  readonly body: unknown;
}

/** An error answered by the Tuco API (any non-2xx status). */
export class TucoApiError extends TucoError {
  readonly statusCode: number;
  readonly method: string;
  readonly path: string;
  readonly apiMessage: string;
  readonly body: unknown;
  constructor(code: TucoErrorCode, details: ApiErrorDetails, message: string) {
    super(code, message);
    this.statusCode = details.statusCode;
    this.method = details.method;
    this.path = details.path;
    this.apiMessage = details.apiMessage;
    this.body = details.body;
  }
}

/** 400: the API rejected the request body (its message is kept in `apiMessage`). */
export class TucoValidationError extends TucoApiError {}
/** 400 `No active workspace`: the key is valid but has no workspace selected. */
export class TucoNoWorkspaceError extends TucoApiError {}
/** 401: the API key is missing, wrong or revoked. */
export class TucoAuthError extends TucoApiError {}
/** 402 `READ_ONLY`: the workspace's subscription is past due; writes are refused. */
export class TucoReadOnlyError extends TucoApiError {
  get reason(): string | undefined {
    const body = this.body as { reason?: unknown } | null;
    return typeof body?.reason === "string" ? body.reason : undefined;
  }
}
/** 404: no webhook with that id in this key's workspace. */
export class TucoNotFoundError extends TucoApiError {}
/** 429: too many requests; `retryAfterMs` is the wait the API asked for. */
export class TucoRateLimitError extends TucoApiError {
  readonly retryAfterMs: number | undefined;
  constructor(details: ApiErrorDetails, message: string, retryAfterMs: number | undefined) {
    super("RATE_LIMITED", details, message);
    this.retryAfterMs = retryAfterMs;
  }
}
/** 5xx: Tuco failed. */
export class TucoServerError extends TucoApiError {}
/** A status or body the contract does not describe. */
export class TucoUnexpectedResponseError extends TucoApiError {}

/** The request never got an answer: refused, reset, DNS, TLS. */
export class TucoConnectionError extends TucoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONNECTION", message, options);
  }
}

/** No answer within the request's timeout. */
export class TucoTimeoutError extends TucoError {
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, options?: { cause?: unknown }) {
    super("TIMEOUT", message, options);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A create was sent but its answer was lost, so its one-time secret is unknown.
 * `webhook` is the webhook Tuco made (found by listing), or undefined when the
 * listing proved that nothing was created.
 */
export class TucoCreateOutcomeUnknownError extends TucoError {
  readonly webhook: Webhook | undefined;
  readonly created: boolean;
  /** What went wrong with the answer, in a few words (e.g. "its answer was lost (...)"). */
  readonly reason: string;
  constructor(message: string, webhook: Webhook | undefined, options: { cause?: unknown; reason: string }) {
    super("CREATE_OUTCOME_UNKNOWN", message, { cause: options.cause });
    this.webhook = webhook;
    this.created = webhook !== undefined;
    this.reason = options.reason;
  }
}

/** Bad configuration of this package (missing API key, bad API URL...). */
export class TucoConfigError extends TucoError {
  constructor(message: string) {
    super("CONFIG", message);
  }
}
