/** How the client retries. Delays are in milliseconds. */
export interface RetryPolicy {
  /** Retries after the first attempt. @default 4 */
  readonly retries: number;
  /** First backoff delay before jitter. @default 250 */
  readonly minDelayMs: number;
  /** Cap for one backoff delay. @default 8000 */
  readonly maxDelayMs: number;
  /** Longest `Retry-After` we wait; a longer one fails at once with the wait in the error. @default 60000 */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 4, minDelayMs: 250, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };

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

/** Parses `Retry-After` (seconds, or an HTTP date) into milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.round(Number(text.trim()) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
