/** How the client retries. Delays are in milliseconds. */
export interface RetryPolicy {
  /** Retries after the first attempt, for 502/503/504, timeouts and dropped or refused connections. @default 4 */
  readonly retries: number;
  /**
   * Retries of a request refused with 429, counted apart: Tuco refused it without acting on it,
   * so waiting and trying again is always safe, and under a rate limit shared by many requests
   * (a stack applied in parallel) one request can be refused several times before its turn.
   * @default 10 - or `retries`, when a policy sets `retries` but not this
   */
  readonly rateLimitRetries: number;
  /** First backoff delay before jitter. @default 250 */
  readonly minDelayMs: number;
  /** Cap for one backoff delay. @default 8000 */
  readonly maxDelayMs: number;
  /** Longest `Retry-After` we wait; a longer one fails at once with the wait in the error. @default 60000 */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 4, rateLimitRetries: 10, minDelayMs: 250, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };

/** The policy a client runs with: `overrides` on the defaults; an explicit `retries` also bounds 429 retries unless `rateLimitRetries` is given. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const rateLimitRetries = overrides.rateLimitRetries ?? overrides.retries ?? DEFAULT_RETRY_POLICY.rateLimitRetries;
  return { ...DEFAULT_RETRY_POLICY, ...overrides, rateLimitRetries };
}

/**
 * The wait before retry number `attempt` (1-based): exponential backoff with "equal jitter",
 * half fixed and half random, so waits grow even when the random part is small. A
 * `Retry-After` from the server is a floor.
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** (attempt - 1));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/**
 * The wait before retry number `attempt` (1-based) of a request refused with 429: the
 * `Retry-After` the server asked for, plus a random share of an exponentially growing spread
 * (1 s, 2 s, 4 s... capped at `maxDelayMs`). Clients refused in the same second then come back
 * spread over the next ones instead of all at once, and each refusal spreads them wider.
 */
export function rateLimitDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const spread = Math.min(policy.maxDelayMs, 1000 * 2 ** (attempt - 1));
  const floor = retryAfterMs ?? backoffDelayMs(policy, attempt, undefined, random);
  return floor + random() * spread;
}

/** Parses `Retry-After` (seconds, or an HTTP date) into milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.round(Number(text.trim()) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
