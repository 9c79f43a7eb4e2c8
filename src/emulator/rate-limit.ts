/**
 * A sliding 1-second window over all `/api/*` requests that passed auth: at most
 * `requestsPerSecond` accepted requests in any 1000 ms, by arrival time (the `at` of the
 * request log), so the log alone can audit the limit. Refused requests do not count.
 * `take(at)` returns 0 when the request may proceed, else the whole seconds (>= 1) to put in
 * Retry-After.
 */
export class RateLimiter {
  /** Arrival times (ms) of the accepted requests of the last ~2 s, ascending. */
  private accepted: number[] = [];

  constructor(public requestsPerSecond: number | null) {}

  take(at: number = Date.now()): number {
    const limit = this.requestsPerSecond;
    if (limit === null) return 0;
    // Requests are decided in processing order, which can trail arrival order by a little:
    // keep a second of history beyond the window so a late decision still sees its neighbours.
    const newest = Math.max(at, this.accepted.at(-1) ?? at);
    let drop = 0;
    while (drop < this.accepted.length && this.accepted[drop] <= newest - 2000) drop++;
    if (drop > 0) this.accepted.splice(0, drop);

    let i = this.accepted.length;
    while (i > 0 && this.accepted[i - 1] > at) i--;
    // With `at` inserted at i, every run of limit + 1 accepted requests that contains it must
    // span at least 1000 ms; the earliest of a run that does not bounds the wait.
    let blockedUntil = 0;
    for (let first = Math.max(0, i - limit); first <= i; first++) {
      const last = first + limit; // index in the merged list
      if (last > this.accepted.length) break;
      const firstAt = first === i ? at : this.accepted[first < i ? first : first - 1];
      const lastAt = last === i ? at : this.accepted[last < i ? last : last - 1];
      if (lastAt - firstAt < 1000) blockedUntil = Math.max(blockedUntil, firstAt + 1000);
    }
    if (blockedUntil > 0) return Math.max(1, Math.ceil((blockedUntil - at) / 1000));
    this.accepted.splice(i, 0, at);
    return 0;
  }

  set(requestsPerSecond: number | null): void {
    this.requestsPerSecond = requestsPerSecond;
    this.accepted = [];
  }
}
