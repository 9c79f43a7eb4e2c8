/** One `/api/*` request as `GET /_emulator/requests` lists it. Never holds the API key or Authorization header. */
export interface LoggedRequest {
  readonly seq: number;
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** The status answered; 0 when no answer was sent (dropped, hung, or still in flight). */
  status: number;
  /** ISO-8601 arrival time. */
  readonly at: string;
  /** Non-reversible workspace label: first 8 hex of sha256(key); absent when the key was rejected. */
  workspace?: string;
  /** The parsed JSON body of POST/PATCH requests, when it parsed. */
  body?: unknown;
  /** The fault applied, if any. */
  fault?: string;
}

/** Internal entry: the arrival time is kept as a number and formatted only when listed. */
export interface LogEntry {
  seq: number;
  method: string;
  path: string;
  status: number;
  atMs: number;
  workspace?: string;
  body?: unknown;
  fault?: string;
}

/** Most entries kept; older ones are dropped so a long benchmark does not grow memory without bound. */
export const MAX_LOGGED_REQUESTS = 50_000;

/** The `/api/*` request log, in arrival order. */
export class RequestLog {
  private entries: LogEntry[] = [];
  private seq = 0;

  open(method: string, path: string): LogEntry {
    const entry: LogEntry = { seq: ++this.seq, method, path, status: 0, atMs: Date.now() };
    this.entries.push(entry);
    if (this.entries.length > 2 * MAX_LOGGED_REQUESTS) this.entries = this.entries.slice(-MAX_LOGGED_REQUESTS);
    return entry;
  }

  list(): LoggedRequest[] {
    const start = Math.max(0, this.entries.length - MAX_LOGGED_REQUESTS);
    return this.entries.slice(start).map((e) => ({
      seq: e.seq,
      method: e.method,
      path: e.path,
      status: e.status,
      at: new Date(e.atMs).toISOString(),
      ...(e.workspace !== undefined && { workspace: e.workspace }),
      ...(e.body !== undefined && { body: e.body }),
      ...(e.fault !== undefined && { fault: e.fault }),
    }));
  }

  clear(): void {
    this.entries = [];
  }
}
