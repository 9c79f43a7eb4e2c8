import type { Dispatcher, Pool } from "undici";
import {
  TucoApiError,
  TucoAuthError,
  TucoConfigError,
  TucoConnectionError,
  TucoCreateOutcomeUnknownError,
  TucoNoWorkspaceError,
  TucoNotFoundError,
  TucoRateLimitError,
  TucoReadOnlyError,
  TucoServerError,
  TucoTimeoutError,
  TucoUnexpectedResponseError,
  TucoValidationError,
  type ApiErrorDetails,
  type TucoError,
} from "./errors";
import { backoffDelayMs, parseRetryAfter, rateLimitDelayMs, retryPolicy, type RetryPolicy } from "./retry";
import {
  DEFAULT_API_URL,
  type CreateWebhookInput,
  type CreatedWebhook,
  type HealthCheckResult,
  type UpdateWebhookInput,
  type Webhook,
} from "./types";

/** Options of `TucoClient`. Times are in milliseconds. */
export interface TucoClientOptions {
  /** The workspace API key (`tuco_sk_...`). */
  readonly apiKey: string;
  /** @default "https://app.tuco.ai" */
  readonly apiUrl?: string;
  /** Time to wait for an answer to one request. @default 30000 (`DEFAULT_TIMEOUT_MS`) */
  readonly timeoutMs?: number;
  /** Time to wait for a health-check: Tuco waits up to 10 s for the endpoint, on top of the request itself. @default - timeoutMs + 10000 */
  readonly healthCheckTimeoutMs?: number;
  /** @default DEFAULT_RETRY_POLICY (see `retryPolicy` for how a partial policy is completed) */
  readonly retry?: Partial<RetryPolicy>;
  /** Keep-alive connections in the pool. @default 16 */
  readonly connections?: number;
  /** Called before each retry with what failed and the wait, e.g. to log progress. */
  readonly onRetry?: (info: RetryInfo) => void;
}

/** What `onRetry` is told. */
export interface RetryInfo {
  readonly method: string;
  readonly path: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
}

/** Time to wait for an answer to one request unless `TUCO_TIMEOUT_MS` (Pulumi config `tuco:timeoutMs`) says otherwise, in ms. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** How long Tuco waits for the endpoint during a health-check (its documented 10 s): the health-check request gets this on top of its timeout. */
export const HEALTH_CHECK_ENDPOINT_WAIT_MS = 10_000;
/** Bounds of `TUCO_TIMEOUT_MS` / `tuco:timeoutMs`, in ms. Below 100 ms is almost surely seconds typed as milliseconds. */
export const TIMEOUT_MS_RANGE = { min: 100, max: 600_000 } as const;

/** Where a client's connection settings come from. */
export interface ApiConfig {
  readonly apiUrl: string;
  readonly apiKey: string;
  /** Absent: `DEFAULT_TIMEOUT_MS`. */
  readonly timeoutMs?: number;
}

/**
 * Parses a request timeout given as text (an environment variable or a Pulumi config value).
 * Throws `TucoConfigError` naming the setting (`name`), the bad value and how to fix it (`fix`).
 */
export function parseTimeoutMs(value: string, name: string, fix: string): number {
  const text = value.trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  const { min, max } = TIMEOUT_MS_RANGE;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  const why = Number.isSafeInteger(n)
    ? n < min
      ? `is below ${min} ms (it is in milliseconds: 30 s is 30000)`
      : `is above ${max} ms (10 minutes)`
    : `is not a whole number of milliseconds`;
  throw new TucoConfigError(`${name} ${JSON.stringify(value)} ${why}: ${fix} a value from ${min} to ${max}, e.g. ${DEFAULT_TIMEOUT_MS} (the default), or leave it unset.`);
}

/**
 * Reads `TUCO_API_URL`, `TUCO_API_KEY` and `TUCO_TIMEOUT_MS`; explicit values win.
 * Throws `TucoConfigError` naming the variable to set or fix, before any request.
 */
export function resolveApiConfig(
  explicit: { apiUrl?: string; apiKey?: string; timeoutMs?: number } = {},
  env: NodeJS.ProcessEnv = process.env,
): ApiConfig {
  const apiKey = explicit.apiKey || env.TUCO_API_KEY || "";
  const apiUrl = explicit.apiUrl || env.TUCO_API_URL || DEFAULT_API_URL;
  if (apiKey === "") {
    throw new TucoConfigError("No Tuco API key: set TUCO_API_KEY (or the tuco:apiKey Pulumi config, as a secret) to your workspace key (tuco_sk_...).");
  }
  const rawTimeout = env.TUCO_TIMEOUT_MS;
  const timeoutMs =
    explicit.timeoutMs ?? (rawTimeout !== undefined && rawTimeout !== "" ? parseTimeoutMs(rawTimeout, "TUCO_TIMEOUT_MS", "set it to") : undefined);
  return timeoutMs === undefined ? { apiUrl, apiKey } : { apiUrl, apiKey, timeoutMs };
}

type Outcome = "not-sent" | "no-answer";

interface Attempt {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

const REASONS: Record<number, string> = { 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" };
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
// Errors raised before the request could reach the server: retrying them never duplicates anything.
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The Tuco webhook REST API over one keep-alive connection pool.
 * Reads (GET), PATCH, DELETE and health-checks are retried with backoff on 429, 502, 503,
 * 504, timeouts and dropped connections. A create is retried only when the API provably did
 * not act on it (429, refused connection); when its outcome is unknown (any 5xx, a dropped
 * connection, a timeout) the client lists the workspace to find out, and fails with
 * `TucoCreateOutcomeUnknownError`, never leaving a silent duplicate.
 * A 429 with `Retry-After` holds every request of this client until then (one client serves a
 * whole Pulumi stack, whose resources run in parallel), released at random over the next second.
 */
export class TucoClient {
  readonly apiUrl: string;
  // A private field: `util.inspect`, `JSON.stringify` and `console.log` of a client never show the key.
  readonly #apiKey: string;
  private readonly basePath: string;
  private readonly origin: string;
  private readonly connections: number;
  private poolInstance: Pool | undefined;
  private readonly timeoutMs: number;
  private readonly healthCheckTimeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly onRetry: ((info: RetryInfo) => void) | undefined;
  /** No request is sent before this time (ms): Tuco answered 429 with Retry-After. */
  private pausedUntil = 0;

  constructor(options: TucoClientOptions) {
    if (typeof options.apiKey !== "string" || options.apiKey === "") {
      throw new TucoConfigError("No Tuco API key: set TUCO_API_KEY to your workspace key (tuco_sk_...).");
    }
    const raw = (options.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, "");
    // Error messages repeat the URL, and so do later ones: never one that carries a secret.
    if (/tuco_sk_/i.test(raw)) {
      throw new TucoConfigError("TUCO_API_URL (Pulumi config tuco:apiUrl) holds an API key (tuco_sk_...), which is not repeated here: set TUCO_API_URL to the API's address (https://app.tuco.ai) and the key in TUCO_API_KEY only.");
    }
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new TucoConfigError(`TUCO_API_URL (Pulumi config tuco:apiUrl) ${JSON.stringify(raw)} is not a URL: use e.g. https://app.tuco.ai or the emulator's http://127.0.0.1:PORT.`);
    }
    if (url.username !== "" || url.password !== "") {
      throw new TucoConfigError(`TUCO_API_URL (Pulumi config tuco:apiUrl) ${url.protocol}//***@${url.host} carries credentials (user:password@), which are not repeated here and never sent: remove them; the API key goes in TUCO_API_KEY.`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new TucoConfigError(`TUCO_API_URL (Pulumi config tuco:apiUrl) ${JSON.stringify(raw)} must start with https:// (or http:// for the local emulator).`);
    }
    this.apiUrl = raw;
    this.#apiKey = options.apiKey;
    this.basePath = url.pathname.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.healthCheckTimeoutMs = options.healthCheckTimeoutMs ?? this.timeoutMs + HEALTH_CHECK_ENDPOINT_WAIT_MS;
    this.retry = retryPolicy(options.retry);
    this.onRetry = options.onRetry;
    this.origin = url.origin;
    this.connections = options.connections ?? 16;
  }

  /**
   * The keep-alive pool, made on the first request. undici is loaded only then: it is most of a
   * CLI command's start-up (~70 ms of ~90), which a command that fails validation, `--help`, or a
   * process that never calls the API should not pay (bench/results.md, CLI start-up).
   */
  private get pool(): Pool {
    if (this.poolInstance === undefined) {
      const { Pool: PoolClass } = require("undici") as typeof import("undici");
      this.poolInstance = new PoolClass(this.origin, { connections: this.connections, keepAliveTimeout: 10_000, pipelining: 1 });
    }
    return this.poolInstance;
  }

  /** A client configured from `TUCO_API_URL` / `TUCO_API_KEY` / `TUCO_TIMEOUT_MS`, with explicit options winning. */
  static fromEnv(options: Partial<TucoClientOptions> = {}, env: NodeJS.ProcessEnv = process.env): TucoClient {
    return new TucoClient({ ...options, ...resolveApiConfig({ apiUrl: options.apiUrl, apiKey: options.apiKey, timeoutMs: options.timeoutMs }, env) });
  }

  /** Every webhook of the key's workspace, newest first. */
  async list(): Promise<Webhook[]> {
    const body = (await this.call("GET", "/api/webhooks")) as { webhooks?: unknown };
    if (!body || !Array.isArray(body.webhooks)) throw this.unexpected("GET", "/api/webhooks", 200, body, "no webhooks list");
    return body.webhooks as Webhook[];
  }

  /** One webhook; throws `TucoNotFoundError` when it does not exist in this workspace. */
  async get(id: string): Promise<Webhook> {
    const path = webhookPath(id);
    const body = (await this.call("GET", path)) as Partial<Webhook> | null;
    // A 200 from something in between (a proxy's HTML page, a login form) must not pass for a webhook.
    if (!body || typeof body !== "object" || typeof body.id !== "string" || typeof body.url !== "string" || !Array.isArray(body.events)) {
      throw this.unexpected("GET", path, 200, body, "no webhook (id, url, events)");
    }
    return body as Webhook;
  }

  /** One webhook, or undefined when the API answers 404. */
  async tryGet(id: string): Promise<Webhook | undefined> {
    try {
      return await this.get(id);
    } catch (err) {
      if (err instanceof TucoNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Creates a webhook. The answer carries the one-time `secret`: it is never returned again.
   * When an attempt's outcome is unknown (5xx, dropped connection, timeout, or a 201 without a
   * usable id and secret, whose body is never put into an error), the workspace is listed: if
   * Tuco made the webhook, this fails with `TucoCreateOutcomeUnknownError` naming it; if it
   * provably did not, the create is tried again within the retry budget.
   */
  async create(input: CreateWebhookInput): Promise<CreatedWebhook> {
    for (let attempt = 0; ; attempt++) {
      const startedAt = Date.now();
      try {
        const body = (await this.call("POST", "/api/webhooks", input, { create: true })) as Partial<CreatedWebhook> | null;
        if (!body || typeof body.id !== "string" || body.id === "" || typeof body.secret !== "string" || body.secret === "") {
          // Tuco made the webhook, but its answer is unusable: settled like a lost answer, by listing.
          // The body may hold the secret: it never goes into an error.
          const reason = "its 201 answer had no usable id and secret";
          throw new LostCreateError(reason, this.unexpected("POST", "/api/webhooks", 201, "(withheld)", "no usable id and secret in the answer"), true);
        }
        return body as CreatedWebhook;
      } catch (err) {
        if (!(err instanceof LostCreateError)) throw err;
        const made = await this.findLostCreate(input, startedAt);
        if (made) {
          throw new TucoCreateOutcomeUnknownError(
            `Creating webhook ${JSON.stringify(input.name)} reached Tuco but ${err.reason}. Tuco created it as ${made.id}, ` +
              `but its one-time signing secret never arrived and cannot be retrieved. Delete it (tuco-webhooks delete --id ${made.id}) and apply again.`,
            made,
            { cause: err.cause, reason: err.reason },
          );
        }
        if (!err.retryable && err.cause instanceof TucoServerError) {
          const { cause } = err;
          throw new TucoServerError(
            "SERVER_ERROR",
            cause,
            `${cause.message.replace(/\. Try again later\.$/, "")}; Tuco did not create webhook ${JSON.stringify(input.name)} (checked by listing the workspace). Nothing was lost: apply again later.`,
          );
        }
        if (attempt >= this.retry.retries) {
          throw new TucoCreateOutcomeUnknownError(
            `Creating webhook ${JSON.stringify(input.name)} failed ${attempt + 1} times (last: ${err.reason}); Tuco did not create it (checked by listing the workspace). Nothing was lost: apply again later.`,
            undefined,
            { cause: err.cause, reason: err.reason },
          );
        }
        await this.wait("POST", "/api/webhooks", attempt + 1, backoffDelayMs(this.retry, attempt + 1), `${err.reason} (Tuco did not create it)`);
      }
    }
  }

  /** Changes only the fields given. The API answers `{"success":true}`, not the webhook. */
  async update(id: string, patch: UpdateWebhookInput): Promise<void> {
    await this.call("PATCH", webhookPath(id), patch);
  }

  /** Deletes a webhook. A retry that finds it already gone (after a lost answer) counts as success. */
  async delete(id: string): Promise<void> {
    await this.call("DELETE", webhookPath(id), undefined, { deleteRetryGoneIsSuccess: true });
  }

  /** Asks Tuco to POST a signed test ping to the webhook's URL. 200 even when the endpoint failed: read `success`. */
  async healthCheck(id: string): Promise<HealthCheckResult> {
    const path = `${webhookPath(id)}/health-check`;
    const body = (await this.call("POST", path, undefined, { timeoutMs: this.healthCheckTimeoutMs })) as Partial<HealthCheckResult> | null;
    if (!body || typeof body !== "object" || typeof body.success !== "boolean") throw this.unexpected("POST", path, 200, body, "no health-check result (success)");
    return body as HealthCheckResult;
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.poolInstance?.close();
  }

  /** The webhook a lost create made, if any: the same fields, created since just before we asked (2 min of clock skew allowed). */
  private async findLostCreate(input: CreateWebhookInput, startedAt: number): Promise<Webhook | undefined> {
    return (await this.list()).find(
      (w) =>
        w.url === input.url &&
        w.name === input.name &&
        sameSet(w.events, input.events) &&
        (w.description ?? "") === (input.description ?? "") &&
        Date.parse(w.createdAt) >= startedAt - 120_000,
    );
  }

  private async call(
    method: Dispatcher.HttpMethod,
    path: string,
    payload?: unknown,
    opts: { create?: boolean; timeoutMs?: number; deleteRetryGoneIsSuccess?: boolean } = {},
  ): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    let previousNoAnswer = false;
    let retried = 0;
    let rateLimited = 0;
    for (;;) {
      await this.whilePaused();
      let result: Attempt;
      try {
        result = await this.send(method, path, payload, timeoutMs);
      } catch (err) {
        const outcome = classify(err);
        const error = this.transportError(method, path, err, timeoutMs);
        if (opts.create && outcome === "no-answer") throw new LostCreateError(`its answer was lost (${transportReason(err, timeoutMs)})`, err, true);
        if (retried < this.retry.retries) {
          retried++;
          previousNoAnswer = previousNoAnswer || outcome === "no-answer";
          await this.wait(method, path, retried + rateLimited, backoffDelayMs(this.retry, retried), transportReason(err, timeoutMs));
          continue;
        }
        throw error;
      }
      const { status, body } = result;
      if (status >= 200 && status < 300) return body;
      if (status === 404 && opts.deleteRetryGoneIsSuccess && previousNoAnswer) return { success: true };
      const retryAfterMs = parseRetryAfter(result.headers["retry-after"]);
      const error = this.apiError(method, path, status, body, retryAfterMs);
      const tooLong = retryAfterMs !== undefined && retryAfterMs > this.retry.maxRetryAfterMs;
      if (status === 429) {
        // Refused without acting on it: safe to retry for every method, the create included.
        if (rateLimited < this.retry.rateLimitRetries && !tooLong) {
          rateLimited++;
          if (retryAfterMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, Date.now() + retryAfterMs);
          await this.wait(method, path, retried + rateLimited, rateLimitDelayMs(this.retry, rateLimited, retryAfterMs), statusReason(status, error.apiMessage));
          continue;
        }
        throw error;
      }
      // Any 5xx answer to a create leaves its outcome unknown: Tuco may have made the webhook.
      if (opts.create && status >= 500) throw new LostCreateError(`it ${statusReason(status, error.apiMessage)}`, error, RETRYABLE_STATUS.has(status));
      if (RETRYABLE_STATUS.has(status) && retried < this.retry.retries && !tooLong) {
        retried++;
        await this.wait(method, path, retried + rateLimited, backoffDelayMs(this.retry, retried, retryAfterMs), statusReason(status, error.apiMessage));
        continue;
      }
      throw error;
    }
  }

  /** Holds a request while Tuco has asked this client to wait; waiters wake at random over the next second, not all at once. */
  private async whilePaused(): Promise<void> {
    for (let now = Date.now(); now < this.pausedUntil; now = Date.now()) {
      await sleep(this.pausedUntil - now + Math.random() * Math.min(1000, this.retry.maxDelayMs));
    }
  }

  private async wait(method: string, path: string, attempt: number, delay: number, reason: string): Promise<void> {
    const delayMs = Math.round(delay);
    this.onRetry?.({ method, path, attempt, delayMs, reason });
    await sleep(delayMs);
  }

  private async send(method: Dispatcher.HttpMethod, path: string, payload: unknown, timeoutMs: number): Promise<Attempt> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#apiKey}`, accept: "application/json" };
    let body: string | undefined;
    if (payload !== undefined) {
      body = JSON.stringify(payload);
      headers["content-type"] = "application/json";
    }
    const res = await this.pool.request({
      method,
      path: this.basePath + path,
      headers,
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.statusCode, headers: res.headers, body: parsed };
  }

  private transportError(method: string, path: string, err: unknown, timeoutMs: number): TucoError {
    const code = (err as { code?: string })?.code ?? "";
    const where = `${method} ${this.apiUrl}${path}`;
    if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
      return new TucoTimeoutError(`${where}: no answer within ${timeoutMs} ms. Tuco may be slow or unreachable: try again later, or allow more time with TUCO_TIMEOUT_MS (Pulumi config tuco:timeoutMs).`, timeoutMs, { cause: err });
    }
    const detail = err instanceof Error ? `${code ? `${code}: ` : ""}${err.message}` : String(err);
    return new TucoConnectionError(`${where}: could not reach Tuco (${detail}). Check TUCO_API_URL (Pulumi config tuco:apiUrl) and the network, then try again.`, { cause: err });
  }

  private apiError(method: string, path: string, status: number, body: unknown, retryAfterMs: number | undefined): TucoApiError {
    const apiMessage = typeof (body as { error?: unknown })?.error === "string" ? (body as { error: string }).error : "";
    const details: ApiErrorDetails = { statusCode: status, method, path, apiMessage, body };
    const said = apiMessage ? `: ${apiMessage}` : "";
    const where = `${method} ${path}`;
    switch (true) {
      case status === 400 && apiMessage === "No active workspace":
        return new TucoNoWorkspaceError("NO_WORKSPACE", details, `${where} failed (400${said}). The API key has no active workspace: select one in app.tuco.ai or use a workspace key.`);
      case status === 400:
        return new TucoValidationError("VALIDATION", details, `${where} was rejected by Tuco (400${said}). Fix the webhook definition and apply again.`);
      case status === 401:
        return new TucoAuthError("UNAUTHORIZED", details, `${where} failed (401${said}): the API key is missing, wrong or revoked. Set TUCO_API_KEY to a valid workspace key (tuco_sk_...).`);
      case status === 402:
        return new TucoReadOnlyError("READ_ONLY", details, `${where} failed (402${said}): the workspace is read-only (subscription ${String((body as { reason?: unknown })?.reason ?? "past_due")}). Settle billing in app.tuco.ai, then apply again.`);
      case status === 404:
        return new TucoNotFoundError("NOT_FOUND", details, `${where} failed (404${said}): no such webhook in this API key's workspace.`);
      case status === 429: {
        const asked = retryAfterMs !== undefined ? ` Tuco asked to wait ${Math.ceil(retryAfterMs / 1000)} s` : "";
        const why =
          retryAfterMs !== undefined && retryAfterMs > this.retry.maxRetryAfterMs
            ? `not retried:${asked}, longer than the ${Math.round(this.retry.maxRetryAfterMs / 1000)} s a request waits.`
            : `retries exhausted.${asked && `${asked}.`}`;
        return new TucoRateLimitError(details, `${where} was rate limited (429${said}), ${why} Apply again later or with less parallelism.`, retryAfterMs);
      }
      case status >= 500:
        return new TucoServerError("SERVER_ERROR", details, `${where} failed on Tuco's side (${status}${said || ` ${REASONS[status] ?? ""}`.trimEnd()}). Try again later.`);
      default:
        return new TucoUnexpectedResponseError("UNEXPECTED_RESPONSE", details, `${where} answered ${status}${said}, which the API contract does not describe.`);
    }
  }

  private unexpected(method: string, path: string, status: number, body: unknown, what: string): TucoUnexpectedResponseError {
    return new TucoUnexpectedResponseError(
      "UNEXPECTED_RESPONSE",
      { statusCode: status, method, path, apiMessage: "", body },
      `${method} ${path} answered ${status} with ${what}, which the API contract does not describe.`,
    );
  }
}

/**
 * Internal: a create whose outcome is unknown; `create` settles it by listing. `reason` completes
 * "Tuco got the create but ..."; `retryable`: may be tried again once listing proves nothing was made.
 */
class LostCreateError extends Error {
  constructor(
    readonly reason: string,
    override readonly cause: unknown,
    readonly retryable: boolean,
  ) {
    super(reason);
  }
}

/** Why a request is retried, in a few words, for `onRetry`. */
function statusReason(status: number, apiMessage: string): string {
  return `answered ${status} ${apiMessage || REASONS[status] || ""}`.trimEnd();
}

function transportReason(err: unknown, timeoutMs: number): string {
  const code = (err as { code?: string })?.code ?? "";
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return `no answer within ${timeoutMs} ms`;
  return `no connection (${code || (err instanceof Error ? err.message : String(err))})`;
}

function classify(err: unknown): Outcome {
  const code = (err as { code?: string })?.code ?? "";
  return NOT_SENT_CODES.has(code) ? "not-sent" : "no-answer";
}

function webhookPath(id: string): string {
  if (typeof id !== "string" || id === "") throw new TucoConfigError(`Webhook id ${JSON.stringify(id)} is empty: pass the id Tuco returned (24 hex characters).`);
  return `/api/webhooks/${encodeURIComponent(id)}`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((e) => y.has(e));
}
