/**
 * The emulator process: the options check, listen and close (timers, hung requests, the delivery
 * agent), and the request pipeline. `/api/*`: trailing slash (308) → OPTIONS (204) → key (401)
 * → body (413) → faults → rate limit (429) → api-routes.ts. `/_emulator/*`: body (413) →
 * control-routes.ts. Any other path: 404.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { preflight, routeApi } from "./api-routes";
import { routeControl, type ControlContext } from "./control-routes";
import { deliverWith, type Deliver } from "./deliveries";
import { FaultRegistry, type Fault } from "./faults";
import {
  ABORTED,
  bearerToken,
  parseObject,
  readBody,
  reply,
  send,
  sendTooLarge,
  splitTarget,
  TOO_LARGE,
  type Parsed,
  type Reply,
} from "./http";
import { MAX_BODY_BYTES, NOT_FOUND, TOO_MANY_REQUESTS, UNAUTHORIZED } from "./messages";
import { RateLimiter } from "./rate-limit";
import { RequestLog, type LogEntry } from "./request-log";
import { Store, type Workspace } from "./store";

/** How to start the emulator. */
export interface EmulatorOptions {
  /** TCP port. @default 0 - a random free port */
  readonly port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** The only valid bearer keys. @default - any key that starts with "tuco_sk_" and has at least one more character */
  readonly apiKeys?: readonly string[];
  /** Timeout of health-check pings and fired events, in ms. @default 10000 - Tuco's 10 s */
  readonly deliveryTimeoutMs?: number;
  /** Requests per second to /api/* before 429. @default - no limit */
  readonly rateLimitPerSecond?: number;
}

/** A listening emulator. */
export interface RunningEmulator {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** Stops listening and destroys every socket (keep-alive, hung, in-flight deliveries). */
  close(): Promise<void>;
}

const API_KEY_PATTERN = /^tuco_sk_.+/;

/** The answer of a "status" or "commit-then-status" fault: its status, its body or the reason phrase, its Retry-After. */
function faultReply(fault: Fault): Reply {
  const headers: Record<string, string> = fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {};
  return reply(fault.status!, fault.body ?? { error: STATUS_CODES[fault.status!] ?? "Error" }, headers);
}

/** One emulator: its state, its server, and what is in flight (fault delays, hung requests, deliveries). */
class Emulator implements ControlContext {
  readonly store = new Store();
  readonly faults = new FaultRegistry();
  readonly log = new RequestLog();
  readonly rateLimit: RateLimiter;
  private readonly apiKeys: ReadonlySet<string> | undefined;
  /** Deliveries go through their own agent without keep-alive, so receivers can close and close() can abort them. */
  private readonly agent = new Agent({ pipelining: 0 });
  /** Health-check pings and fired events: one attempt through `agent`, aborted after the delivery timeout. */
  readonly deliver: Deliver;
  private readonly hung = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  readonly server: Server;

  constructor(private readonly options: EmulatorOptions) {
    this.apiKeys = options.apiKeys ? new Set(options.apiKeys) : undefined;
    this.deliver = deliverWith(this.agent, options.deliveryTimeoutMs ?? 10_000);
    this.rateLimit = new RateLimiter(options.rateLimitPerSecond ?? null);
    this.server = createServer({ keepAlive: true }, (req, res) => this.onRequest(req, res));
  }

  async listen(): Promise<RunningEmulator> {
    const host = this.options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.removeListener("error", reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    const shownHost = host.includes(":") ? `[${host}]` : host;
    return { url: `http://${shownHost}:${port}`, close: () => this.close() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.hung.clear();
    await Promise.all([closing, this.agent.destroy().catch(() => undefined)]);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const { path, query } = splitTarget(req.url ?? "/");
    if (path.startsWith("/api/") || path === "/api") {
      this.handleApi(req, res, path, query).catch(() => res.destroy());
    } else if (path.startsWith("/_emulator/")) {
      this.handleControl(req, res, path).catch(() => res.destroy());
    } else {
      send(res, reply(404, NOT_FOUND));
    }
  }

  /** The key's workspace, or undefined when the Authorization header does not carry a valid key. */
  authenticate(header: string | undefined): Workspace | undefined {
    const key = bearerToken(header);
    if (key === undefined) return undefined;
    if (this.apiKeys ? !this.apiKeys.has(key) : !API_KEY_PATTERN.test(key)) return undefined;
    return this.store.workspace(key);
  }

  /** Sends `r` and logs its status. */
  private answer(res: ServerResponse, entry: LogEntry, r: Reply): void {
    entry.status = r.status;
    send(res, r);
  }

  /** A fault's latency: a timer close() clears (the request then gets no answer). */
  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  /** `/api/*`, in the order the README documents: 308, OPTIONS, 401, 413, faults, 429, then api-routes.ts. */
  private async handleApi(req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
    const method = req.method ?? "GET";
    const entry = this.log.open(method, path);
    // Like a Next.js app (trailingSlash: false): a trailing slash is redirected, before auth, keeping method and body (308).
    if (path.length > 1 && path.endsWith("/")) {
      return this.answer(res, entry, reply(308, undefined, { location: path.replace(/\/+$/, "") + query }));
    }
    // CORS preflights carry no credentials: OPTIONS answers the route's methods without auth.
    if (method === "OPTIONS") {
      return this.answer(res, entry, preflight(path));
    }
    const ws = this.authenticate(req.headers.authorization);
    if (!ws) return this.answer(res, entry, reply(401, UNAUTHORIZED));
    entry.workspace = ws.label;

    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === ABORTED) return;
    if (body === TOO_LARGE) {
      entry.status = 413;
      return sendTooLarge(req, res);
    }
    let parsed: Parsed | undefined;
    if (method === "POST" || method === "PATCH") {
      parsed = parseObject(body);
      if (parsed.ok) entry.body = parsed.value;
    }

    if (this.faults.size > 0) {
      const latencyMs = this.faults.takeLatency(method, path);
      if (latencyMs > 0) {
        await this.delay(latencyMs);
        if (this.closed) return;
      }
      const fault = this.faults.takeFault(method, path);
      if (fault) {
        entry.fault = fault.kind;
        switch (fault.kind) {
          case "status":
            return this.answer(res, entry, faultReply(fault));
          case "commit-then-status":
            await routeApi(ws, method, path, parsed, this.deliver);
            return this.answer(res, entry, faultReply(fault));
          case "drop":
            res.destroy();
            return;
          case "hang":
            this.hung.add(res);
            res.once("close", () => this.hung.delete(res));
            return;
          case "commit-then-drop":
            await routeApi(ws, method, path, parsed, this.deliver);
            res.destroy();
            return;
        }
      }
    }

    if (this.rateLimit.requestsPerSecond !== null) {
      const retryAfter = this.rateLimit.take(entry.atMs);
      if (retryAfter > 0) return this.answer(res, entry, reply(429, TOO_MANY_REQUESTS, { "retry-after": String(retryAfter) }));
    }

    // HEAD is GET without the body (RFC 9110 9.3.2): same status and headers; Node writes no body for it.
    const r = routeApi(ws, method === "HEAD" ? "GET" : method, path, parsed, this.deliver);
    this.answer(res, entry, r instanceof Promise ? await r : r);
  }

  /** What `POST /_emulator/reset` does: forgets all state, drops hung requests, puts the start rate limit back. */
  reset(): void {
    this.store.clear();
    this.faults.clear();
    this.log.clear();
    this.rateLimit.set(this.options.rateLimitPerSecond ?? null);
    for (const res of this.hung) res.destroy();
    this.hung.clear();
  }

  /** `/_emulator/*`: the body (413), then control-routes.ts. */
  private async handleControl(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === ABORTED) return;
    if (body === TOO_LARGE) return sendTooLarge(req, res);
    const r = routeControl(this, { method: req.method ?? "GET", path, body, authorization: req.headers.authorization });
    send(res, r instanceof Promise ? await r : r);
  }
}

function checkOptions(options: EmulatorOptions): void {
  const { port, deliveryTimeoutMs, rateLimitPerSecond, apiKeys } = options;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new RangeError(`port must be an integer from 0 to 65535 (0 = random free port); got ${port}`);
  }
  if (deliveryTimeoutMs !== undefined && !(Number.isInteger(deliveryTimeoutMs) && deliveryTimeoutMs > 0)) {
    throw new RangeError(`deliveryTimeoutMs must be a positive integer of milliseconds; got ${deliveryTimeoutMs}`);
  }
  if (rateLimitPerSecond !== undefined && !(Number.isInteger(rateLimitPerSecond) && rateLimitPerSecond > 0)) {
    throw new RangeError(`rateLimitPerSecond must be a positive integer; got ${rateLimitPerSecond}`);
  }
  if (apiKeys !== undefined && (apiKeys.length === 0 || apiKeys.some((k) => typeof k !== "string" || k === ""))) {
    throw new RangeError("apiKeys must be a non-empty list of non-empty keys; omit it to accept any tuco_sk_ key");
  }
}

/** Starts the local Tuco API emulator; resolves once it is listening. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  checkOptions(options);
  return new Emulator(options).listen();
}
