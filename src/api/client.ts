/**
 * `TucoClient`: the six calls of Tuco's webhook API (list, create, get, update, delete,
 * health-check) and the settling of a create whose answer was lost. Settings are checked in
 * `config.ts`, requests and retries live in `transport.ts`, errors in `errors.ts`.
 */
import { ENV_SETTING_NAMES, DEFAULT_TIMEOUT_MS, HEALTH_CHECK_ENDPOINT_WAIT_MS, checkApiKey, checkApiUrl, resolveApiConfig, type ApiSettingNames } from "./config";
import { TucoConfigError, TucoCreateOutcomeUnknownError, TucoNotFoundError, TucoServerError, unexpectedAnswer } from "./errors";
import { backoffDelayMs, retryPolicy, type RetryPolicy } from "./retry";
import { LostCreateError, Transport, type RetryInfo } from "./transport";
import { DEFAULT_API_URL, type CreateWebhookInput, type CreatedWebhook, type HealthCheckResult, type UpdateWebhookInput, type Webhook } from "./types";
import { showId } from "../private/text";
import { isWebhookIdShaped } from "../private/webhook-id";

export type { RetryInfo } from "./transport";

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
  /** How messages name the settings, i.e. where the user sets them. @default ENV_SETTING_NAMES (TUCO_API_URL, TUCO_API_KEY, TUCO_TIMEOUT_MS) */
  readonly settingNames?: ApiSettingNames;
}

/** Options of `TucoClient.create`. */
export interface CreateOptions {
  /**
   * Tells the webhook this very create made, when its answer was lost and the workspace is listed
   * to find out (e.g. by a per-create value the request carried in its description).
   * @default - a webhook created since just before the request with exactly the request's fields
   */
  readonly isThisCreate?: (webhook: Webhook) => boolean;
  /**
   * Called when an attempt got no answer, the list did not show what it made, and the create was
   * tried again: Tuco may still complete that attempt, after the create returned (see `lateCreateWaitMs`).
   */
  readonly onUnansweredAttempt?: () => void;
  /**
   * A time (ms since the epoch, this machine's clock) by which every attempt must have ended: no
   * attempt starts later than one request timeout before it. For a caller that tells its
   * webhook by when it was created (a pending marker's time window).
   */
  readonly attemptsUntil?: number;
}

/** The longest a create that retried after an unanswered attempt waits for that attempt's webhook to show, in ms. */
const LATE_CREATE_WAIT_MAX_MS = 5_000;

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
  // Private fields: `util.inspect`, `JSON.stringify` and `console.log` of a client never show the key.
  readonly #transport: Transport;
  readonly #retry: RetryPolicy;
  readonly #healthCheckTimeoutMs: number;
  readonly #timeoutMs: number;

  constructor(options: TucoClientOptions) {
    const settings = options.settingNames ?? ENV_SETTING_NAMES;
    const apiKey = checkApiKey(options.apiKey, settings);
    // Error messages repeat the URL, and so do later ones: never one that carries a secret.
    const base = checkApiUrl(options.apiUrl ?? DEFAULT_API_URL, settings);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.apiUrl = base.url;
    this.#retry = retryPolicy(options.retry);
    this.#timeoutMs = timeoutMs;
    this.#healthCheckTimeoutMs = options.healthCheckTimeoutMs ?? timeoutMs + HEALTH_CHECK_ENDPOINT_WAIT_MS;
    this.#transport = new Transport({
      origin: base.origin,
      basePath: base.basePath,
      apiUrl: base.url,
      apiKey,
      timeoutMs,
      retry: this.#retry,
      connections: options.connections ?? 16,
      settings,
      onRetry: options.onRetry,
    });
  }

  /** A client configured from `TUCO_API_URL` / `TUCO_API_KEY` / `TUCO_TIMEOUT_MS`, with explicit options winning. */
  static fromEnv(options: Partial<TucoClientOptions> = {}, env: NodeJS.ProcessEnv = process.env): TucoClient {
    const config = resolveApiConfig({ apiUrl: options.apiUrl, apiKey: options.apiKey, timeoutMs: options.timeoutMs }, env, options.settingNames);
    return new TucoClient({ ...options, ...config });
  }

  /**
   * How long to wait, after a create that was tried again because an attempt got no answer, before
   * listing for a webhook that attempt may still have made: one request timeout, at most 5 s.
   */
  get lateCreateWaitMs(): number {
    return Math.min(this.#timeoutMs, LATE_CREATE_WAIT_MAX_MS);
  }

  /** Every webhook of the key's workspace, newest first. */
  async list(): Promise<Webhook[]> {
    const body = (await this.#transport.call("GET", "/api/webhooks")) as { webhooks?: unknown };
    if (!body || !Array.isArray(body.webhooks)) throw unexpectedAnswer("GET", "/api/webhooks", 200, body, "no webhooks list");
    return body.webhooks as Webhook[];
  }

  /** One webhook; throws `TucoNotFoundError` when it does not exist in this workspace. */
  async get(id: string): Promise<Webhook> {
    const path = webhookPath(id);
    const body = (await this.#transport.call("GET", path)) as Partial<Webhook> | null;
    // A 200 from something in between (a proxy's HTML page, a login form) must not pass for a webhook.
    if (!body || typeof body !== "object" || typeof body.id !== "string" || !isWebhookIdShaped(body.id) || typeof body.url !== "string" || !Array.isArray(body.events)) {
      throw unexpectedAnswer("GET", path, 200, body, "no webhook (id, url, events)");
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
  async create(input: CreateWebhookInput, options: CreateOptions = {}): Promise<CreatedWebhook> {
    const path = "/api/webhooks";
    for (let attempt = 0; ; attempt++) {
      const startedAt = Date.now();
      if (options.attemptsUntil !== undefined && startedAt + this.#timeoutMs > options.attemptsUntil) {
        throw new TucoCreateOutcomeUnknownError(`Creating webhook ${JSON.stringify(input.name)} was not tried: too little time is left for an attempt. Nothing was created: apply again.`, undefined, { reason: "out of time" });
      }
      try {
        const body = (await this.#transport.call("POST", path, input, { create: true })) as Partial<CreatedWebhook> | null;
        if (!body || typeof body.id !== "string" || !isWebhookIdShaped(body.id) || typeof body.secret !== "string" || body.secret === "") {
          // Tuco made the webhook, but its answer is unusable: settled like a lost answer, by listing.
          // The body may hold the secret: it never goes into an error.
          throw new LostCreateError("its 201 answer had no usable id and secret", unexpectedAnswer("POST", path, 201, "(withheld)", "no usable id and secret in the answer"), true);
        }
        return body as CreatedWebhook;
      } catch (err) {
        if (!(err instanceof LostCreateError)) throw err;
        const isThisCreate = options.isThisCreate ?? ((w: Webhook) => sameFields(w, input) && Date.parse(w.createdAt) >= startedAt - 120_000);
        const made = (await this.list()).find(isThisCreate);
        if (made) {
          throw new TucoCreateOutcomeUnknownError(
            `Creating webhook ${JSON.stringify(input.name)} reached Tuco but ${err.reason}. Tuco created it as ${showId(made.id)}, ` +
              `but its one-time signing secret never arrived and cannot be retrieved: delete webhook ${showId(made.id)} and create it again.`,
            made,
            { cause: err.cause, reason: err.reason },
          );
        }
        if (!err.retryable && err.cause instanceof TucoServerError) {
          const { cause } = err;
          throw new TucoServerError(
            cause,
            `${cause.message.replace(/\. Try again later\.$/, "")}; Tuco did not create webhook ${JSON.stringify(input.name)} (checked by listing the workspace). Nothing was lost: apply again later.`,
          );
        }
        const delay = backoffDelayMs(this.#retry, attempt + 1);
        const outOfTime = options.attemptsUntil !== undefined && Date.now() + delay + this.#timeoutMs > options.attemptsUntil;
        if (attempt < this.#retry.retries && !outOfTime) options.onUnansweredAttempt?.();
        if (attempt >= this.#retry.retries || outOfTime) {
          throw new TucoCreateOutcomeUnknownError(
            `Creating webhook ${JSON.stringify(input.name)} failed ${attempt + 1} times (last: ${err.reason}); Tuco did not create it (checked by listing the workspace). Nothing was lost: apply again later.`,
            undefined,
            { cause: err.cause, reason: err.reason },
          );
        }
        await this.#transport.wait("POST", path, attempt + 1, delay, `${err.reason} (Tuco did not create it)`);
      }
    }
  }

  /** Changes only the fields given. The API answers `{"success":true}`, not the webhook. */
  async update(id: string, patch: UpdateWebhookInput): Promise<void> {
    await this.#transport.call("PATCH", webhookPath(id), patch);
  }

  /** Deletes a webhook. A retry that finds it already gone (after a lost answer) counts as success. */
  async delete(id: string): Promise<void> {
    await this.#transport.call("DELETE", webhookPath(id), undefined, { deleteRetryGoneIsSuccess: true });
  }

  /** Asks Tuco to POST a signed test ping to the webhook's URL. 200 even when the endpoint failed: read `success`. */
  async healthCheck(id: string): Promise<HealthCheckResult> {
    const path = `${webhookPath(id)}/health-check`;
    const body = (await this.#transport.call("POST", path, undefined, { timeoutMs: this.#healthCheckTimeoutMs })) as Partial<HealthCheckResult> | null;
    if (!body || typeof body !== "object" || typeof body.success !== "boolean") throw unexpectedAnswer("POST", path, 200, body, "no health-check result (success)");
    return body as HealthCheckResult;
  }

  /** Tuco's clock now (ms since the epoch), from the `Date` header of its last answer: compare Tuco's own timestamps with this, not with `Date.now()`. */
  serverNow(): number {
    return this.#transport.serverNow();
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.#transport.close();
  }
}

function webhookPath(id: string): string {
  if (typeof id !== "string" || id === "") throw new TucoConfigError(`Webhook id ${JSON.stringify(id)} is empty: pass the id Tuco returned (24 hex characters).`);
  return `/api/webhooks/${encodeURIComponent(id)}`;
}

/** Whether a listed webhook has exactly the fields a create sent (events as a set). */
function sameFields(w: Webhook, input: CreateWebhookInput): boolean {
  const events = new Set(w.events);
  const wanted = new Set(input.events);
  return (
    w.url === input.url &&
    w.name === input.name &&
    events.size === wanted.size &&
    [...events].every((e) => wanted.has(e)) &&
    (w.description ?? "") === (input.description ?? "")
  );
}
