/**
 * How a request reaches Tuco and how it is retried: one keep-alive undici pool, per-request
 * timeouts, backoff on 502/503/504, timeouts and dropped connections, 429 with Retry-After (which
 * pauses every request of the transport), and the rule that a create is never blindly retried.
 * Answers become errors through the one map in `errors.ts`.
 */
import type { Dispatcher, Pool } from "undici";
import { loadUndici } from "./undici";
import type { ApiSettingNames } from "./config";
import { TucoConnectionError, TucoTimeoutError, apiErrorFor, reasonPhrase, type TucoError } from "./errors";
import { backoffDelayMs, parseRetryAfter, rateLimitDelayMs, type RetryPolicy } from "./retry";
import { plainUntrusted } from "../private/text";

/** What `onRetry` is told. */
export interface RetryInfo {
  readonly method: string;
  readonly path: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
}

/** How to reach the API and how to retry. Times are in milliseconds. */
export interface TransportOptions {
  readonly origin: string;
  /** The base URL's path prefix (no trailing slash), put before every request path. */
  readonly basePath: string;
  /** The base URL as shown in messages. */
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly connections: number;
  readonly settings: ApiSettingNames;
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
}

/** Options of one request. */
export interface CallOptions {
  /** A create: never retried once it may have reached Tuco; an unknown outcome throws `LostCreateError`. */
  readonly create?: boolean;
  /** @default - the transport's timeout */
  readonly timeoutMs?: number;
  /** A DELETE: a 404 after a retry of a lost answer means the first attempt did it. */
  readonly deleteRetryGoneIsSuccess?: boolean;
}

/**
 * A create whose outcome is unknown (its answer was lost, or a 5xx): the client settles it by listing.
 * `reason` completes "Tuco got the create but ..."; `retryable`: may be tried again once listing
 * proves nothing was made.
 */
export class LostCreateError extends Error {
  constructor(
    readonly reason: string,
    override readonly cause: unknown,
    readonly retryable: boolean,
  ) {
    super(reason);
  }
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
// Errors raised before the request could reach the server: retrying them never duplicates anything.
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const errorCode = (err: unknown): string => (err as { code?: string })?.code ?? "";

/** Why a request is retried, in a few words, for `onRetry`: the status and the API's own words, never a control or direction character of them. */
function statusReason(status: number, apiMessage: string): string {
  return `answered ${status} ${apiMessage ? plainUntrusted(apiMessage) : reasonPhrase(status)}`.trimEnd();
}

function transportReason(err: unknown, timeoutMs: number): string {
  const code = errorCode(err);
  if (TIMEOUT_CODES.has(code)) return `no answer within ${timeoutMs} ms`;
  return `no connection (${code || (err instanceof Error ? err.message : String(err))})`;
}

/** Requests to one Tuco API base URL over one keep-alive pool, with the client's retry rules. */
export class Transport {
  // A private field: `util.inspect`, `JSON.stringify` and `console.log` never show the key.
  readonly #apiKey: string;
  readonly #options: Omit<TransportOptions, "apiKey">;
  #pool: Pool | undefined;
  /** undici's `request`, called with the pool as `this` (undici's index puts it on every dispatcher; only it is loaded here). */
  #request: Dispatcher["request"] | undefined;
  /** No request is sent before this time (ms): Tuco answered 429 with Retry-After. */
  #pausedUntil = 0;
  /** Tuco's clock minus ours (ms), from the `Date` header of its last answer; undefined before any. */
  #serverClockOffsetMs: number | undefined;

  constructor(options: TransportOptions) {
    const { apiKey, ...rest } = options;
    this.#apiKey = apiKey;
    this.#options = rest;
  }

  /** The transport's per-request timeout, in ms. */
  get timeoutMs(): number {
    return this.#options.timeoutMs;
  }

  /**
   * The keep-alive pool, made on the first request: undici (its Pool and request, see undici.ts)
   * is loaded only then, so a command that fails validation, `--help`, or a process that never
   * calls the API loads none of it.
   */
  private get pool(): Pool {
    if (this.#pool === undefined) {
      const { Pool: PoolClass, request } = loadUndici();
      this.#request = request;
      this.#pool = new PoolClass(this.#options.origin, { connections: this.#options.connections, keepAliveTimeout: 10_000, pipelining: 1 });
    }
    return this.#pool;
  }

  /**
   * Tuco's current time (ms since the epoch) as its last answer's `Date` header tells it (whole
   * seconds), advanced by our clock since; our own clock before any answer or without the header.
   * Times Tuco writes (createdAt) compare with it without the skew of the machine's clock.
   */
  serverNow(): number {
    return Date.now() + (this.#serverClockOffsetMs ?? 0);
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.#pool?.close();
  }

  /** Waits before retry number `attempt` and tells `onRetry`. */
  async wait(method: string, path: string, attempt: number, delay: number, reason: string): Promise<void> {
    const delayMs = Math.round(delay);
    this.#options.onRetry?.({ method, path, attempt, delayMs, reason });
    await sleep(delayMs);
  }

  /** Sends one request with the retry rules and resolves to the body of its 2xx answer. */
  async call(method: Dispatcher.HttpMethod, path: string, payload?: unknown, opts: CallOptions = {}): Promise<unknown> {
    const { retry } = this.#options;
    const timeoutMs = opts.timeoutMs ?? this.#options.timeoutMs;
    let previousNoAnswer = false;
    let retried = 0;
    let rateLimited = 0;
    for (;;) {
      await this.whilePaused();
      let answer: Answer;
      try {
        answer = await this.send(method, path, payload, timeoutMs);
      } catch (err) {
        const notSent = NOT_SENT_CODES.has(errorCode(err));
        if (opts.create && !notSent) throw new LostCreateError(`its answer was lost (${transportReason(err, timeoutMs)})`, err, true);
        if (retried < retry.retries) {
          retried++;
          previousNoAnswer = previousNoAnswer || !notSent;
          await this.wait(method, path, retried + rateLimited, backoffDelayMs(retry, retried), transportReason(err, timeoutMs));
          continue;
        }
        throw this.transportError(method, path, err, timeoutMs);
      }
      const { status, body } = answer;
      if (status >= 200 && status < 300) return body;
      if (status === 404 && opts.deleteRetryGoneIsSuccess && previousNoAnswer) return { success: true };
      const retryAfterMs = parseRetryAfter(answer.headers["retry-after"]);
      const error = apiErrorFor({ method, path, settings: this.#options.settings, maxRetryAfterMs: retry.maxRetryAfterMs }, status, body, retryAfterMs);
      const tooLong = retryAfterMs !== undefined && retryAfterMs > retry.maxRetryAfterMs;
      if (status === 429) {
        // Refused without acting on it: safe to retry for every method, the create included.
        if (rateLimited < retry.rateLimitRetries && !tooLong) {
          rateLimited++;
          if (retryAfterMs !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + retryAfterMs);
          await this.wait(method, path, retried + rateLimited, rateLimitDelayMs(retry, rateLimited, retryAfterMs), statusReason(status, error.apiMessage));
          continue;
        }
        throw error;
      }
      // Any 5xx answer to a create leaves its outcome unknown: Tuco may have made the webhook.
      if (opts.create && status >= 500) throw new LostCreateError(`it ${statusReason(status, error.apiMessage)}`, error, RETRYABLE_STATUS.has(status));
      if (RETRYABLE_STATUS.has(status) && retried < retry.retries && !tooLong) {
        retried++;
        // A gateway's 502/504 may come after Tuco acted: a DELETE retried after it may find the webhook gone.
        previousNoAnswer = previousNoAnswer || status === 502 || status === 504;
        await this.wait(method, path, retried + rateLimited, backoffDelayMs(retry, retried, retryAfterMs), statusReason(status, error.apiMessage));
        continue;
      }
      throw error;
    }
  }

  /** Holds a request while Tuco has asked this transport to wait; waiters wake at random over the next second, not all at once. */
  private async whilePaused(): Promise<void> {
    for (let now = Date.now(); now < this.#pausedUntil; now = Date.now()) {
      await sleep(this.#pausedUntil - now + Math.random() * Math.min(1000, this.#options.retry.maxDelayMs));
    }
  }

  private async send(method: Dispatcher.HttpMethod, path: string, payload: unknown, timeoutMs: number): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#apiKey}`, accept: "application/json" };
    let body: string | undefined;
    if (payload !== undefined) {
      body = JSON.stringify(payload);
      headers["content-type"] = "application/json";
    }
    const pool = this.pool;
    const res = await this.#request!.call(pool, {
      method,
      path: this.#options.basePath + path,
      headers,
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    const date = Date.parse(String(res.headers.date ?? ""));
    // The header has whole seconds: the middle of that second is the best guess.
    if (!Number.isNaN(date)) this.#serverClockOffsetMs = date + 500 - Date.now();
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
    const code = errorCode(err);
    const where = `${method} ${this.#options.apiUrl}${path}`;
    const { settings } = this.#options;
    if (TIMEOUT_CODES.has(code)) {
      return new TucoTimeoutError(`${where}: no answer within ${timeoutMs} ms. Tuco may be slow or unreachable: try again later, or allow more time with ${settings.timeoutMs}.`, timeoutMs, { cause: err });
    }
    const detail = err instanceof Error ? `${code ? `${code}: ` : ""}${err.message}` : String(err);
    return new TucoConnectionError(`${where}: could not reach Tuco (${detail}). Check ${settings.apiUrl} and the network, then try again.`, { cause: err });
  }
}
