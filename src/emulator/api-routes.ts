/**
 * The Tuco API routes, `/api/webhooks*`: which path is which route, the methods each answers to
 * (`Allow`), and what list, create, get, patch, delete and health-check answer in one workspace.
 * The pipeline before them (308, OPTIONS, auth, 413, faults, 429) is server.ts's.
 */
import { healthCheckPayload, toHealthCheckResult, type Deliver } from "./deliveries";
import { methodNotAllowed, reply, type Parsed, type Reply } from "./http";
import { INVALID_JSON_BODY, NO_ACTIVE_WORKSPACE, NOT_FOUND, READ_ONLY, WEBHOOK_NOT_FOUND } from "./messages";
import type { Workspace } from "./store";
import { validateCreate, validatePatch } from "./validate";

const WEBHOOKS_PATH = "/api/webhooks";
const WEBHOOK_PREFIX = "/api/webhooks/";
const HEALTH_CHECK_SUFFIX = "/health-check";

/** The three Tuco webhook routes. */
type Route =
  | { readonly kind: "collection" }
  | { readonly kind: "webhook"; readonly id: string }
  | { readonly kind: "health-check"; readonly id: string };

/** What each route answers to, for `Allow` (405 and OPTIONS). HEAD is served wherever GET is. */
const ALLOW: Readonly<Record<Route["kind"], string>> = {
  collection: "GET, HEAD, POST, OPTIONS",
  webhook: "GET, HEAD, PATCH, DELETE, OPTIONS",
  "health-check": "POST, OPTIONS",
};

/** The route of an `/api/*` path (no query, no trailing slash), or undefined for 404. */
function routeOf(path: string): Route | undefined {
  if (path === WEBHOOKS_PATH) return { kind: "collection" };
  if (!path.startsWith(WEBHOOK_PREFIX)) return undefined;
  const rest = path.slice(WEBHOOK_PREFIX.length);
  const slash = rest.indexOf("/");
  if (slash === -1) return rest === "" ? undefined : { kind: "webhook", id: rest };
  if (slash > 0 && rest.slice(slash) === HEALTH_CHECK_SUFFIX) return { kind: "health-check", id: rest.slice(0, slash) };
  return undefined;
}

/** The answer to `OPTIONS path`, which needs no key: 204 with the route's `Allow`, or 404 for an unknown path. */
export function preflight(path: string): Reply {
  const route = routeOf(path);
  return route ? reply(204, undefined, { allow: ALLOW[route.kind] }) : reply(404, NOT_FOUND);
}

/**
 * Answers an authenticated `/api/*` request in workspace `ws` (HEAD already mapped to GET by the
 * caller). Order: path/method (404/405), workspace state (400/402), id (404), body (400).
 * `parsed` is the body of a POST or PATCH; `deliver` sends the health-check ping.
 */
export function routeApi(
  ws: Workspace,
  method: string,
  path: string,
  parsed: Parsed | undefined,
  deliver: Deliver,
): Reply | Promise<Reply> {
  const route = routeOf(path);
  if (!route) return reply(404, NOT_FOUND);
  switch (route.kind) {
    case "collection":
      if (method === "GET") return ws.noWorkspace ? reply(400, NO_ACTIVE_WORKSPACE) : reply(200, { webhooks: ws.list() });
      if (method === "POST") return refusedWrite(ws) ?? create(ws, parsed);
      return methodNotAllowed(ALLOW.collection);
    case "webhook": {
      const { id } = route;
      if (method === "GET") {
        if (ws.noWorkspace) return reply(400, NO_ACTIVE_WORKSPACE);
        const webhook = ws.get(id);
        return webhook ? reply(200, webhook) : reply(404, WEBHOOK_NOT_FOUND);
      }
      if (method === "PATCH") return refusedWrite(ws) ?? patch(ws, id, parsed);
      if (method === "DELETE") {
        return refusedWrite(ws) ?? (ws.delete(id) ? reply(200, { success: true }) : reply(404, WEBHOOK_NOT_FOUND));
      }
      return methodNotAllowed(ALLOW.webhook);
    }
    case "health-check":
      if (method !== "POST") return methodNotAllowed(ALLOW["health-check"]);
      if (ws.noWorkspace) return reply(400, NO_ACTIVE_WORKSPACE);
      return healthCheck(ws, route.id, deliver);
  }
}

/** The refusal for a write in this workspace's state, if any. */
function refusedWrite(ws: Workspace): Reply | undefined {
  if (ws.noWorkspace) return reply(400, NO_ACTIVE_WORKSPACE);
  if (ws.readOnly) return reply(402, READ_ONLY);
  return undefined;
}

function create(ws: Workspace, parsed: Parsed | undefined): Reply {
  if (!parsed?.ok) return reply(400, INVALID_JSON_BODY);
  const input = validateCreate(parsed.value);
  if (!input.ok) return reply(400, input.error);
  return reply(201, ws.create(input.value));
}

/** The id is looked up before the body is looked at: an unknown id with a bad body is a 404. */
function patch(ws: Workspace, id: string, parsed: Parsed | undefined): Reply {
  if (!ws.has(id)) return reply(404, WEBHOOK_NOT_FOUND);
  if (!parsed?.ok) return reply(400, INVALID_JSON_BODY);
  const valid = validatePatch(parsed.value);
  if (!valid.ok) return reply(400, valid.error);
  ws.update(id, valid.value);
  return reply(200, { success: true });
}

/** Pings the URL; runs on paused webhooks too and never touches the delivery stats. */
async function healthCheck(ws: Workspace, id: string, deliver: Deliver): Promise<Reply> {
  const webhook = ws.forSigning(id);
  if (!webhook) return reply(404, WEBHOOK_NOT_FOUND);
  const payload = healthCheckPayload(webhook.events[0], ws.orgId, new Date().toISOString());
  const attempt = await deliver(webhook.url, webhook.secret, payload);
  return reply(200, toHealthCheckResult(attempt));
}
