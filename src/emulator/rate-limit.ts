/**
 * A fixed 1-second window over all `/api/*` requests that passed auth. `take()` returns 0 when
 * the request may proceed, else the whole seconds (>= 1) to put in Retry-After.
 */
export class RateLimiter {
  private windowStart = 0;
  private count = 0;

  constructor(public requestsPerSecond: number | null) {}

  take(now: number = Date.now()): number {
    if (this.requestsPerSecond === null) return 0;
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    if (this.count < this.requestsPerSecond) {
      this.count += 1;
      return 0;
    }
    return Math.max(1, Math.ceil((this.windowStart + 1000 - now) / 1000));
  }

  set(requestsPerSecond: number | null): void {
    this.requestsPerSecond = requestsPerSecond;
    this.windowStart = 0;
    this.count = 0;
  }
}
