/**
 * HTTP plumbing shared by the Tuco API routes and the control surface: what a route answers
 * (`Reply`) and how it is written, splitting a request target, reading a bounded body, the 413
 * that refuses a larger one, parsing a JSON object body, and the bearer token of an
 * Authorization header. Knows nothing of routes, workspaces or faults.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { METHOD_NOT_ALLOWED, PAYLOAD_TOO_LARGE } from "./messages";
import { isRecord } from "./validate";

/** What a route answers: a status, a JSON body (undefined: none) and extra headers. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A body that parsed as a JSON object, or the mark that it did not (the routes answer 400 Invalid JSON body). */
export type Parsed = { readonly ok: true; readonly value: Record<string, unknown> } | { readonly ok: false };

/** What `readBody` resolves when the body is larger than its limit. */
export const TOO_LARGE = Symbol("too large");
/** What `readBody` resolves when the request closed before its body ended. */
export const ABORTED = Symbol("aborted");
const NO_BODY = Buffer.alloc(0);

/** A reply; the headers are left out when none are given. */
export function reply(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers ? { status, body, headers } : { status, body };
}

/** 405 `Method not allowed` with the route's `Allow` header. */
export function methodNotAllowed(allow: string): Reply {
  return reply(405, METHOD_NOT_ALLOWED, { allow });
}

/** Writes a reply. An undefined body sends none (204, 308); Node itself drops the body of a HEAD answer. */
export function send(res: ServerResponse, r: Reply): void {
  if (res.destroyed || res.headersSent) return;
  if (r.body === undefined) {
    res.writeHead(r.status, r.status === 204 ? { ...r.headers } : { "content-length": 0, ...r.headers });
    res.end();
    return;
  }
  const payload = JSON.stringify(r.body);
  res.writeHead(r.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    ...r.headers,
  });
  res.end(payload);
}

/** A request target split into its path and its query string (with the "?", or "" when there is none). */
export function splitTarget(target: string): { readonly path: string; readonly query: string } {
  const q = target.indexOf("?");
  return q === -1 ? { path: target, query: "" } : { path: target.slice(0, q), query: target.slice(q) };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/** Reads the body up to `limit` bytes; beyond it stops collecting and resolves TOO_LARGE. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE | typeof ABORTED> {
  if (!hasBody(req)) return Promise.resolve(NO_BODY);
  if (Number(req.headers["content-length"]) > limit) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.removeListener("data", onData);
      req.removeListener("end", onEnd);
      req.removeListener("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onClose = () => {
      cleanup();
      resolve(ABORTED);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
  });
}

/** 413 `Payload too large`, then the connection closes once the answer is out: the rest of the body is never read. */
export function sendTooLarge(req: IncomingMessage, res: ServerResponse): void {
  req.pause();
  res.shouldKeepAlive = false;
  send(res, reply(413, PAYLOAD_TOO_LARGE, { connection: "close" }));
}

/** Decodes like fetch's `body.text()`: UTF-8, a leading byte order mark skipped, invalid bytes as U+FFFD. */
const UTF8 = new TextDecoder("utf-8");

/** Parses like a Next.js route's `request.json()`: the Content-Type is not looked at; only a JSON object is accepted. */
export function parseObject(body: Buffer): Parsed {
  try {
    const value: unknown = JSON.parse(UTF8.decode(body));
    return isRecord(value) ? { ok: true, value } : { ok: false };
  } catch {
    return { ok: false };
  }
}

/** The token of an `Authorization: Bearer <token>` header (scheme in any case), or undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 8) return undefined;
  if (header.slice(0, 7).toLowerCase() !== "bearer ") return undefined;
  const token = header.slice(7).trim();
  return token === "" ? undefined : token;
}
