/** What the emulator's request log says about a run under a rate limit. */
export interface RateAudit {
  /** Requests the API accepted (any status but 429). */
  readonly accepted: number;
  /** Requests refused with 429. */
  readonly refused: number;
  /** The most accepted requests that arrived within any 1000 ms. */
  readonly maxAcceptedInAnySecond: number;
}

/** Audits a request log (`at` is the arrival time) against a requests-per-second limit. */
export function auditRate(log: readonly { at: string; status: number }[]): RateAudit {
  const accepted = log.filter((r) => r.status !== 429).map((r) => Date.parse(r.at)).sort((a, b) => a - b);
  let max = 0;
  let end = 0;
  for (let start = 0; start < accepted.length; start++) {
    while (end < accepted.length && accepted[end] < accepted[start] + 1000) end++;
    max = Math.max(max, end - start);
  }
  return { accepted: accepted.length, refused: log.length - accepted.length, maxAcceptedInAnySecond: max };
}
