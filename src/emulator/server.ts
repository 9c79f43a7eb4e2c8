import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { WEBHOOK_EVENTS } from "../api/types";
import { preflight, routeApi } from "./api-routes";
import { deliverWith, eventPayload, type Deliver } from "./deliveries";
import { FaultRegistry, parseFault } from "./faults";
import {
  ABORTED,
  bearerToken,
  methodNotAllowed,
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
import {
  INVALID_JSON_BODY,
  MAX_BODY_BYTES,
  NOT_FOUND,
  TOO_MANY_REQUESTS,
  UNAUTHORIZED,
} from "./messages";
import { RateLimiter } from "./rate-limit";
import { RequestLog, type LogEntry } from "./request-log";
import { Store, type Workspace } from "./store";
import { isRecord } from "./validate";

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

const KNOWN_EVENTS: ReadonlySet<string> = new Set(WEBHOOK_EVENTS);
const API_KEY_PATTERN = /^tuco_sk_.+/;
class Emulator {
  readonly store = new Store();
  readonly faults = new FaultRegistry();
  readonly log = new RequestLog();
  readonly rateLimit: RateLimiter;
  private readonly apiKeys: ReadonlySet<string> | undefined;
  /** Deliveries go through their own agent without keep-alive, so receivers can close and close() can abort them. */
  private readonly agent = new Agent({ pipelining: 0 });
  /** Health-check pings and fired events: one attempt through `agent`, aborted after the delivery timeout. */
  private readonly deliver: Deliver;
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
  private authenticate(header: string | undefined): Workspace | undefined {
    const key = bearerToken(header);
    if (key === undefined) return undefined;
    if (this.apiKeys ? !this.apiKeys.has(key) : !API_KEY_PATTERN.test(key)) return undefined;
    return this.store.workspace(key);
  }

  private answer(res: ServerResponse, entry: LogEntry, r: Reply): void {
    entry.status = r.status;
    send(res, r);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

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
        const faultReply = (): Reply => {
          const headers: Record<string, string> = fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {};
          return reply(fault.status!, fault.body ?? { error: STATUS_CODES[fault.status!] ?? "Error" }, headers);
        };
        switch (fault.kind) {
          case "status":
            return this.answer(res, entry, faultReply());
          case "commit-then-status":
            await routeApi(ws, method, path, parsed, this.deliver);
            return this.answer(res, entry, faultReply());
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

  /** Fires one event to every active subscribed webhook in parallel, once each, and records the outcome. */
  private async fireEvent(ws: Workspace, body: Record<string, unknown>): Promise<Reply> {
    const { event, data, messageId } = body;
    if (typeof event !== "string" || !KNOWN_EVENTS.has(event)) {
      return reply(400, { error: `Unknown event ${JSON.stringify(event)}: use one of ${WEBHOOK_EVENTS.join(", ")}` });
    }
    if (data !== undefined && !isRecord(data)) return reply(400, { error: "data must be a JSON object" });
    if (messageId !== undefined && typeof messageId !== "string") return reply(400, { error: "messageId must be a string" });
    const timestamp = new Date().toISOString();
    const payload = eventPayload(event, ws.orgId, timestamp, data ?? {}, messageId);
    const deliveries = await Promise.all(
      ws.subscribers(event).map(async (w) => {
        const attempt = await this.deliver(w.url, w.secret, payload);
        ws.recordDelivery(w.id, attempt.success, new Date().toISOString());
        return {
          webhookId: w.id,
          url: w.url,
          success: attempt.success,
          ...(attempt.statusCode !== undefined && { statusCode: attempt.statusCode }),
          ...(attempt.error !== undefined && { error: attempt.error }),
        };
      }),
    );
    return reply(200, { deliveries });
  }

  private reset(): void {
    this.store.clear();
    this.faults.clear();
    this.log.clear();
    this.rateLimit.set(this.options.rateLimitPerSecond ?? null);
    for (const res of this.hung) res.destroy();
    this.hung.clear();
  }

  private async handleControl(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? "GET";
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === ABORTED) return;
    if (body === TOO_LARGE) return sendTooLarge(req, res);
    const json = (): Parsed => parseObject(body);
    const ok = reply(200, { success: true });
    let r: Reply | Promise<Reply>;
    switch (path) {
      case "/_emulator/health":
        r = method === "GET" ? reply(200, { ok: true }) : methodNotAllowed("GET");
        break;
      case "/_emulator/reset":
        r = method === "POST" ? (this.reset(), ok) : methodNotAllowed("POST");
        break;
      case "/_emulator/requests":
        if (method === "GET") r = reply(200, { requests: this.log.list() });
        else if (method === "DELETE") r = (this.log.clear(), ok);
        else r = methodNotAllowed("GET, DELETE");
        break;
      case "/_emulator/faults":
        if (method === "GET") r = reply(200, { faults: this.faults.list() });
        else if (method === "DELETE") r = (this.faults.clear(), ok);
        else if (method === "POST") {
          const p = json();
          const spec = p.ok ? parseFault(p.value) : { error: INVALID_JSON_BODY.error };
          r = "error" in spec ? reply(400, { error: spec.error }) : reply(201, { id: this.faults.add(spec).id });
        } else r = methodNotAllowed("GET, POST, DELETE");
        break;
      case "/_emulator/workspace":
        r = method === "POST" ? this.setWorkspace(json()) : methodNotAllowed("POST");
        break;
      case "/_emulator/rate-limit":
        r = method === "POST" ? this.setRateLimit(json()) : methodNotAllowed("POST");
        break;
      case "/_emulator/events": {
        if (method !== "POST") {
          r = methodNotAllowed("POST");
          break;
        }
        const ws = this.authenticate(req.headers.authorization);
        const p = json();
        r = !ws ? reply(401, UNAUTHORIZED) : !p.ok ? reply(400, INVALID_JSON_BODY) : this.fireEvent(ws, p.value);
        break;
      }
      default:
        r = reply(404, NOT_FOUND);
    }
    send(res, r instanceof Promise ? await r : r);
  }

  private setWorkspace(p: Parsed): Reply {
    if (!p.ok) return reply(400, INVALID_JSON_BODY);
    const { apiKey, readOnly, noWorkspace } = p.value;
    if (typeof apiKey !== "string" || apiKey === "") return reply(400, { error: "apiKey must be a non-empty string" });
    if (readOnly !== undefined && typeof readOnly !== "boolean") return reply(400, { error: "readOnly must be a boolean" });
    if (noWorkspace !== undefined && typeof noWorkspace !== "boolean") return reply(400, { error: "noWorkspace must be a boolean" });
    const ws = this.store.workspace(apiKey);
    if (readOnly !== undefined) ws.readOnly = readOnly;
    if (noWorkspace !== undefined) ws.noWorkspace = noWorkspace;
    return reply(200, { success: true, workspace: ws.label, readOnly: ws.readOnly, noWorkspace: ws.noWorkspace });
  }

  private setRateLimit(p: Parsed): Reply {
    if (!p.ok) return reply(400, INVALID_JSON_BODY);
    const n = p.value.requestsPerSecond;
    if (n !== null && !(typeof n === "number" && Number.isInteger(n) && n > 0)) {
      return reply(400, { error: `requestsPerSecond must be a positive integer or null; got ${JSON.stringify(n)}` });
    }
    this.rateLimit.set(n);
    return reply(200, { success: true, requestsPerSecond: n });
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
