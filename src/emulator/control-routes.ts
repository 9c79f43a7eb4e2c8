/**
 * The control surface, `/_emulator/*` (the README's table; `EmulatorControl` is its client):
 * health, reset, the request log, faults, workspace states, the rate limit, and fired events.
 * No key is needed except to fire events; none of it goes in the request log.
 */
import { WEBHOOK_EVENTS } from "../api/types";
import { eventPayload, type Deliver } from "./deliveries";
import type { EventDelivery } from "./control";
import { parseFault, type FaultRegistry } from "./faults";
import { methodNotAllowed, parseObject, reply, type Parsed, type Reply } from "./http";
import { INVALID_JSON_BODY, NOT_FOUND, UNAUTHORIZED } from "./messages";
import type { RateLimiter } from "./rate-limit";
import type { RequestLog } from "./request-log";
import type { Store, Workspace } from "./store";
import { isRecord, KNOWN_EVENTS } from "./validate";

/** The answer of the calls that only change state. */
const SUCCESS = reply(200, { success: true });

/** What the control routes read and change: the emulator's state, and what only the emulator can do. */
export interface ControlContext {
  readonly store: Store;
  readonly faults: FaultRegistry;
  readonly log: RequestLog;
  readonly rateLimit: RateLimiter;
  /** Sends a fired event to one webhook. */
  readonly deliver: Deliver;
  /** Forgets everything, as `POST /_emulator/reset` promises. */
  reset(): void;
  /** The workspace of the key an Authorization header carries, or undefined when it carries no valid key. */
  authenticate(authorization: string | undefined): Workspace | undefined;
}

/** One control request, its body already read. */
export interface ControlRequest {
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
  readonly body: Buffer;
  readonly authorization: string | undefined;
}

/** Where the emulator's own always-200 receiver listens (any path below it too): a url for webhooks whose health-check should pass. */
export const RECEIVER_PATH = "/_emulator/receiver";

/** Answers a `/_emulator/*` request: 404 for an unknown path, 405 with `Allow` for a method it does not take. */
export function routeControl(ctx: ControlContext, req: ControlRequest): Reply | Promise<Reply> {
  const { method } = req;
  const json = (): Parsed => parseObject(req.body);
  // A webhook endpoint that takes every delivery, for trying things out without a receiver of your own.
  if (req.path === RECEIVER_PATH || req.path.startsWith(`${RECEIVER_PATH}/`)) return method === "POST" ? reply(200, { received: true }) : methodNotAllowed("POST");
  switch (req.path) {
    case "/_emulator/health":
      return method === "GET" ? reply(200, { ok: true }) : methodNotAllowed("GET");
    case "/_emulator/reset":
      if (method !== "POST") return methodNotAllowed("POST");
      ctx.reset();
      return SUCCESS;
    case "/_emulator/requests":
      if (method === "GET") return reply(200, { requests: ctx.log.list() });
      if (method === "DELETE") {
        ctx.log.clear();
        return SUCCESS;
      }
      return methodNotAllowed("GET, DELETE");
    case "/_emulator/faults":
      if (method === "GET") return reply(200, { faults: ctx.faults.list() });
      if (method === "DELETE") {
        ctx.faults.clear();
        return SUCCESS;
      }
      if (method === "POST") return addFault(ctx.faults, json());
      return methodNotAllowed("GET, POST, DELETE");
    case "/_emulator/workspace":
      return method === "POST" ? setWorkspace(ctx.store, json()) : methodNotAllowed("POST");
    case "/_emulator/rate-limit":
      return method === "POST" ? setRateLimit(ctx.rateLimit, json()) : methodNotAllowed("POST");
    case "/_emulator/events": {
      if (method !== "POST") return methodNotAllowed("POST");
      const ws = ctx.authenticate(req.authorization);
      const p = json();
      return !ws ? reply(401, UNAUTHORIZED) : !p.ok ? reply(400, INVALID_JSON_BODY) : fireEvent(ws, p.value, ctx.deliver);
    }
    default:
      return reply(404, NOT_FOUND);
  }
}

function addFault(faults: FaultRegistry, p: Parsed): Reply {
  const spec = p.ok ? parseFault(p.value) : { error: INVALID_JSON_BODY.error };
  return "error" in spec ? reply(400, { error: spec.error }) : reply(201, { id: faults.add(spec).id });
}

function setWorkspace(store: Store, p: Parsed): Reply {
  if (!p.ok) return reply(400, INVALID_JSON_BODY);
  const { apiKey, readOnly, noWorkspace } = p.value;
  if (typeof apiKey !== "string" || apiKey === "") return reply(400, { error: "apiKey must be a non-empty string" });
  if (readOnly !== undefined && typeof readOnly !== "boolean") return reply(400, { error: "readOnly must be a boolean" });
  if (noWorkspace !== undefined && typeof noWorkspace !== "boolean") return reply(400, { error: "noWorkspace must be a boolean" });
  const ws = store.workspace(apiKey);
  if (readOnly !== undefined) ws.readOnly = readOnly;
  if (noWorkspace !== undefined) ws.noWorkspace = noWorkspace;
  return reply(200, { success: true, workspace: ws.label, readOnly: ws.readOnly, noWorkspace: ws.noWorkspace });
}

function setRateLimit(rateLimit: RateLimiter, p: Parsed): Reply {
  if (!p.ok) return reply(400, INVALID_JSON_BODY);
  const n = p.value.requestsPerSecond;
  if (n !== null && !(typeof n === "number" && Number.isInteger(n) && n > 0)) {
    return reply(400, { error: `requestsPerSecond must be a positive integer or null; got ${JSON.stringify(n)}` });
  }
  rateLimit.set(n);
  return reply(200, { success: true, requestsPerSecond: n });
}

/** Fires one event to every active subscribed webhook in parallel, once each, and records the outcome. */
async function fireEvent(ws: Workspace, body: Record<string, unknown>, deliver: Deliver): Promise<Reply> {
  const { event, data, messageId } = body;
  if (typeof event !== "string" || !KNOWN_EVENTS.has(event)) {
    return reply(400, { error: `Unknown event ${JSON.stringify(event)}: use one of ${WEBHOOK_EVENTS.join(", ")}` });
  }
  if (data !== undefined && !isRecord(data)) return reply(400, { error: "data must be a JSON object" });
  if (messageId !== undefined && typeof messageId !== "string") return reply(400, { error: "messageId must be a string" });
  const timestamp = new Date().toISOString();
  const payload = eventPayload(event, ws.orgId, timestamp, data ?? {}, messageId);
  const deliveries = await Promise.all(
    ws.subscribers(event).map(async (w): Promise<EventDelivery> => {
      const attempt = await deliver(w.url, w.secret, payload);
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
