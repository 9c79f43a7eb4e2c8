import { createServer } from "node:http";
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

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
