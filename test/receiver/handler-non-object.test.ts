/**
 * The receiver handler over real HTTP, in its own process (as a downstream service runs it).
 * A signed body that is JSON but not an object must be refused as bad JSON (README: "400 on bad
 * JSON"; `payload` is typed as an object) and must never take the service down.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { request } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const SECRET = "dGhpcyBpcyBhIHNhbXBsZSBzZWNyZXQgZm9yIHByb2Jlcw==";
let child: ChildProcess | undefined;

async function startService(): Promise<{ port: number; exited: Promise<number | null> }> {
  child = spawn(process.execPath, [join(__dirname, "../helpers/receiver-service.cjs")], { env: { ...process.env, TUCO_WEBHOOK_SECRET: SECRET }, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child!.stdout!.on("data", (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child!.once("exit", () => reject(new Error("service exited before listening")));
  });
  return { port, exited };
}

function post(port: number, body: string, headers: Record<string, string>): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/tuco", headers: { "content-type": "application/json", ...headers } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (e) => resolve(`error: ${(e as Error).message}`));
    req.end(body);
  });
}

afterEach(() => {
  if (child && child.exitCode === null) child.kill();
  child = undefined;
});

describe("tucoWebhookHandler and signed non-object JSON", () => {
  it("answers 400 to a signed `null` body without X-Tuco-Event, and keeps running", async () => {
    const { port, exited } = await startService();
    const body = "null";
    const signature = createHmac("sha256", SECRET).update(body).digest("hex");
    const status = await post(port, body, { "x-tuco-signature": signature });
    const alive = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 300))]);
    expect({ status, alive }).toEqual({ status: 400, alive: true });
  });

  it("answers 400 to a signed JSON array (not an event object)", async () => {
    const { port } = await startService();
    const body = "[1,2,3]";
    const signature = createHmac("sha256", SECRET).update(body).digest("hex");
    expect(await post(port, body, { "x-tuco-signature": signature, "x-tuco-event": "message.sent" })).toBe(400);
  });
});
