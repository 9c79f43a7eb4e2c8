/**
 * Every error this package throws, and the one map from an API answer to its error class.
 * As in undici's `lib/core/errors.js`, each class carries one fixed, machine-readable `code`
 * that never changes between versions; the message is for people and may.
 */
import { plainUntrusted } from "../private/text";
import type { ApiSettingNames } from "./config";
import type { Webhook } from "./types";

/** Stable, machine-readable error codes. One per error class. */
export type TucoErrorCode =
  | "INVALID_SPEC"
  | "INVALID_DECLARATION"
  | "INVALID_STACK"
  | "USAGE"
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
  | "PARTIAL_CREATE"
  | "PARTIAL_APPLY"
  | "APPLY_FAILED"
  | "ADOPT_FAILED"
  | "OWNERSHIP"
  | "HEALTH_CHECK_FAILED"
  | "SEALING_CONFIG"
  | "SEALED_FILE"
  | "PROVIDER_CALL"
  | "PULUMI_PROGRAM"
  | "INSTALLATION"
  | "CONFIG";

/** Base of every error this package throws. Each subclass has its own `code`, fixed forever. */
export abstract class TucoError extends Error {
  abstract readonly code: TucoErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
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

/** An error answered by the Tuco API (any non-2xx status, or a 2xx the contract does not describe). */
export abstract class TucoApiError extends TucoError {
  readonly statusCode: number;
  readonly method: string;
  readonly path: string;
  readonly apiMessage: string;
  readonly body: unknown;
  constructor(details: ApiErrorDetails, message: string) {
    super(message);
    this.statusCode = details.statusCode;
    this.method = details.method;
    this.path = details.path;
    this.apiMessage = details.apiMessage;
    this.body = details.body;
  }
}

/** 400: the API rejected the request body (its message is kept in `apiMessage`). */
export class TucoValidationError extends TucoApiError {
  readonly code = "VALIDATION";
}
/** 400 `No active workspace`: the key is valid but has no workspace selected. */
export class TucoNoWorkspaceError extends TucoApiError {
  readonly code = "NO_WORKSPACE";
}
/** 401: the API key is missing, wrong or revoked. */
export class TucoAuthError extends TucoApiError {
  readonly code = "UNAUTHORIZED";
}
/** 402 `READ_ONLY`: the workspace's subscription is past due; writes are refused. */
export class TucoReadOnlyError extends TucoApiError {
  readonly code = "READ_ONLY";
  get reason(): string | undefined {
    const body = this.body as { reason?: unknown } | null;
    return typeof body?.reason === "string" ? body.reason : undefined;
  }
}
/** 404: no webhook with that id in this key's workspace. */
export class TucoNotFoundError extends TucoApiError {
  readonly code = "NOT_FOUND";
}
/** 429: too many requests; `retryAfterMs` is the wait the API asked for. */
export class TucoRateLimitError extends TucoApiError {
  readonly code = "RATE_LIMITED";
  readonly retryAfterMs: number | undefined;
  constructor(details: ApiErrorDetails, message: string, retryAfterMs: number | undefined) {
    super(details, message);
    this.retryAfterMs = retryAfterMs;
  }
}
/** 5xx: Tuco failed. */
export class TucoServerError extends TucoApiError {
  readonly code = "SERVER_ERROR";
}
/** A status or body the contract does not describe. */
export class TucoUnexpectedResponseError extends TucoApiError {
  readonly code = "UNEXPECTED_RESPONSE";
}

/** The request never got an answer: refused, reset, DNS, TLS. */
export class TucoConnectionError extends TucoError {
  readonly code = "CONNECTION";
}

/** No answer within the request's timeout. */
export class TucoTimeoutError extends TucoError {
  readonly code = "TIMEOUT";
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A create was sent but its answer was lost, so its one-time secret is unknown.
 * `webhook` is the webhook Tuco made (found by listing), or undefined when the
 * listing proved that nothing was created.
 */
export class TucoCreateOutcomeUnknownError extends TucoError {
  readonly code = "CREATE_OUTCOME_UNKNOWN";
  readonly webhook: Webhook | undefined;
  readonly created: boolean;
  /** What went wrong with the answer, in a few words (e.g. "its answer was lost (...)"). */
  readonly reason: string;
  constructor(message: string, webhook: Webhook | undefined, options: { cause?: unknown; reason: string }) {
    super(message, { cause: options.cause });
    this.webhook = webhook;
    this.created = webhook !== undefined;
    this.reason = options.reason;
  }
}

/** Bad configuration of the API client (missing API key, bad API URL, bad timeout). */
export class TucoConfigError extends TucoError {
  readonly code = "CONFIG";
}

const REASON_PHRASES: Readonly<Record<number, string>> = { 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" };

/** The reason phrase of the 5xx statuses the client retries, for messages. */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? "";
}

/** The API's own `error` string of an error body, or "". */
export function apiMessageOf(body: unknown): string {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === "string" ? error : "";
}

/** What `apiErrorFor` needs besides the answer itself. */
export interface ApiErrorContext {
  readonly method: string;
  readonly path: string;
  /** Where the user sets each API setting, for the advice in messages. */
  readonly settings: ApiSettingNames;
  /** The longest Retry-After the client waits, in ms (a 429 asking for more was not retried). */
  readonly maxRetryAfterMs: number;
}

/**
 * The one map from an API answer to its error class (400 validation or no workspace, 401, 402,
 * 404, 429, 5xx, anything else unexpected), with a message that says what to do.
 */
export function apiErrorFor(ctx: ApiErrorContext, status: number, body: unknown, retryAfterMs: number | undefined): TucoApiError {
  const apiMessage = apiMessageOf(body);
  const details: ApiErrorDetails = { statusCode: status, method: ctx.method, path: ctx.path, apiMessage, body };
  // The API's own words are printed as they came, but never a control or direction character.
  const said = apiMessage ? `: ${plainUntrusted(apiMessage)}` : "";
  const where = `${ctx.method} ${ctx.path}`;
  switch (true) {
    case status === 400 && apiMessage === "No active workspace":
      return new TucoNoWorkspaceError(details, `${where} failed (400${said}). The API key has no active workspace: select one in app.tuco.ai or use a workspace key.`);
    case status === 400:
      return new TucoValidationError(details, `${where} was rejected by Tuco (400${said}). Fix the webhook definition and apply again.`);
    case status === 401:
      return new TucoAuthError(details, `${where} failed (401${said}): the API key is missing, wrong or revoked. Set ${ctx.settings.apiKey} to a valid workspace key (tuco_sk_...).`);
    case status === 402:
      return new TucoReadOnlyError(details, `${where} failed (402${said}): the workspace is read-only (subscription ${plainUntrusted(String((body as { reason?: unknown } | null)?.reason ?? "past_due"))}). Settle billing in app.tuco.ai, then apply again.`);
    case status === 404:
      return new TucoNotFoundError(details, `${where} failed (404${said}): no such webhook in this API key's workspace.`);
    case status === 429: {
      const asked = retryAfterMs !== undefined ? ` Tuco asked to wait ${Math.ceil(retryAfterMs / 1000)} s` : "";
      const why =
        retryAfterMs !== undefined && retryAfterMs > ctx.maxRetryAfterMs
          ? `not retried:${asked}, longer than the ${Math.round(ctx.maxRetryAfterMs / 1000)} s a request waits.`
          : `retries exhausted.${asked && `${asked}.`}`;
      return new TucoRateLimitError(details, `${where} was rate limited (429${said}), ${why} Apply again later or with less parallelism.`, retryAfterMs);
    }
    case status >= 500:
      return new TucoServerError(details, `${where} failed on Tuco's side (${status}${said || ` ${reasonPhrase(status)}`.trimEnd()}). Try again later.`);
    default:
      return new TucoUnexpectedResponseError(details, `${where} answered ${status}${said}, which the API contract does not describe.`);
  }
}

/** A 2xx answer whose body is not what the contract describes (a proxy's page, a login form). */
export function unexpectedAnswer(method: string, path: string, status: number, body: unknown, what: string): TucoUnexpectedResponseError {
  return new TucoUnexpectedResponseError(
    { statusCode: status, method, path, apiMessage: "", body },
    `${method} ${path} answered ${status} with ${what}, which the API contract does not describe.`,
  );
}
