import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";

/** What one /api call answered. */
export interface ApiAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

/** Calls the emulator with a key (or none) and a JSON (or raw string) body. */
export async function api(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown; raw?: string } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  const key = options.key === undefined ? KEY_A : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await request(`${baseUrl}${path}`, { method: method as "GET", headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text === "" ? undefined : JSON.parse(text) };
}

export const KEY_A = "tuco_sk_workspace_a";
export const KEY_B = "tuco_sk_workspace_b";

export const VALID = { url: "https://example.com/hooks/tuco", events: ["message.sent"], name: "Primary" };

/** A received delivery: headers and the raw body exactly as sent. */
export interface Received {
  readonly headers: IncomingMessage["headers"];
  readonly rawBody: string;
}

/** A local receiver. `handler` answers; `next()` resolves with the next delivery. */
export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  next(): Promise<Received>;
  close(): Promise<void>;
}

export async function startReceiver(handler: (res: ServerResponse, got: Received) => void): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const got = { headers: req.headers, rawBody: Buffer.concat(chunks).toString("utf8") };
      received.push(got);
      waiters.shift()?.(got);
      handler(res, got);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
