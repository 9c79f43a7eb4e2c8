import { createServer, connect, type AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  TucoAuthError,
  TucoConfigError,
  TucoConnectionError,
  TucoCreateOutcomeUnknownError,
  TucoNoWorkspaceError,
  TucoNotFoundError,
  TucoRateLimitError,
  TucoReadOnlyError,
  TucoServerError,
  TucoTimeoutError,
  TucoUnexpectedResponseError,
  TucoValidationError,
} from "../../src/api/errors";
import { TucoClient, type RetryInfo } from "../../src/api/client";
import { resolveApiConfig } from "../../src/api/config";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { checkTucoSignature } from "../../src/receiver/signature";
import { createWebhook } from "../../src/webhook/lifecycle";
import { parseWebhookSpec } from "../../src/webhook/spec";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

const KEY = "tuco_sk_client_tests";
const FAST = { minDelayMs: 5, maxDelayMs: 20 };
let emulator: RunningEmulator;
let control: EmulatorControl;
let receiver: TestReceiver;
let client: TucoClient;
let retries: RetryInfo[];

const body = (name = "crm") => ({ url: receiver.url, events: ["message.sent", "message.reply"], name });
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection, got success");
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 500 });
  control = new EmulatorControl(emulator.url);
  receiver = await startReceiver(200);
});
afterAll(async () => {
  await receiver.close();
  await emulator.close();
});
beforeEach(async () => {
  await control.reset();
  receiver.status = 200;
  retries = [];
  client = new TucoClient({ apiUrl: emulator.url, apiKey: KEY, retry: FAST, onRetry: (i) => retries.push(i) });
});
afterEach(async () => {
  await client.close();
});

describe("TucoClient against the emulator: the contract's successes", () => {
  it("creates a webhook, returning its one-time secret, and never returns the secret again", async () => {
    const created = await client.create(body());
    expect(created).toMatchObject({ url: receiver.url, name: "crm", description: null, events: ["message.sent", "message.reply"] });
    expect(created.id).toMatch(/^[0-9a-f]{24}$/);
    expect(Buffer.from(created.secret, "base64").length).toBeGreaterThanOrEqual(32);
    expect(created.warning).toBe("Save this secret now. You will not be able to see it again.");
    const got = await client.get(created.id);
    expect(got).not.toHaveProperty("secret");
    expect(got).toMatchObject({ id: created.id, isActive: true, failureCount: 0, lastTriggeredAt: null });
    expect(JSON.stringify(await client.list())).not.toContain(created.secret);
  });

  it("lists newest first", async () => {
    const a = await client.create(body("a"));
    const b = await client.create(body("b"));
    expect((await client.list()).map((w) => w.id)).toEqual([b.id, a.id]);
  });

  it("patches only the fields given, and deletes", async () => {
    const { id } = await client.create({ ...body(), description: "CRM" });
    await client.update(id, { isActive: false });
    expect(await client.get(id)).toMatchObject({ isActive: false, description: "CRM", name: "crm" });
    const patches = (await control.requests()).filter((r) => r.method === "PATCH");
    expect(patches.map((r) => r.body)).toEqual([{ isActive: false }]);
    await client.update(id, { description: "" });
    expect((await client.get(id)).description).toBeNull();
    await client.delete(id);
    expect(await client.tryGet(id)).toBeUndefined();
    expect(await client.list()).toEqual([]);
  });

  it("health-checks with a ping the receiver can verify with the secret", async () => {
    const created = await client.create(body());
    const result = await client.healthCheck(created.id);
    expect(result).toEqual({ success: true, message: "Health check passed", statusCode: 200, response: "OK" });
    const ping = receiver.received.at(-1)!;
    expect(checkTucoSignature(ping.rawBody, ping.headers["x-tuco-signature"], created.secret)).toEqual({ ok: true });
    expect(ping.headers["x-tuco-event"]).toBe("message.sent");
    const payload = JSON.parse(ping.rawBody);
    expect(payload).toMatchObject({ event: "message.sent", data: { test: true, message: "This is a health check test webhook from Tuco AI" } });
    expect(ping.headers["x-tuco-timestamp"]).toBe(payload.timestamp);
  });

  it("reports a failing endpoint as a 200 result with success false", async () => {
    const created = await client.create(body());
    receiver.status = 502;
    const result = await client.healthCheck(created.id);
    expect(result).toMatchObject({ success: false, statusCode: 502, error: "HTTP 502: Bad Gateway" });
  });
});

describe("TucoClient: each error class", () => {
  it.each([
    [{ events: ["message.sent"], name: "x" }, "URL is required"],
    [{ url: "not a url", events: ["message.sent"], name: "x" }, "Invalid URL format"],
    [{ url: "https://a.example.com", events: [], name: "x" }, "At least one event must be selected"],
    [{ url: "https://a.example.com", events: ["message.sent", "message.invalid"], name: "x" }, "Invalid events: message.invalid"],
    [{ url: "https://a.example.com", events: ["message.sent"] }, "Name is required"],
  ])("rejects an invalid create (400 %#) with the API's exact message", async (input, message) => {
    const err = await rejection(client.create(input as never));
    expect(err).toBeInstanceOf(TucoValidationError);
    expect(err).toMatchObject({ code: "VALIDATION", statusCode: 400, apiMessage: message });
    expect(err.message).toContain(message);
  });

  it("rejects an invalid patch (400) with the API's message", async () => {
    const { id } = await client.create(body());
    const err = await rejection(client.update(id, { events: [] }));
    expect(err).toMatchObject({ code: "VALIDATION", apiMessage: "At least one event must be selected" });
  });

  it("fails with an auth error (401) that says to set TUCO_API_KEY", async () => {
    const bad = new TucoClient({ apiUrl: emulator.url, apiKey: "tuco_bad_key_0451", retry: FAST });
    const err = await rejection(bad.list());
    await bad.close();
    expect(err).toBeInstanceOf(TucoAuthError);
    expect(err).toMatchObject({ code: "UNAUTHORIZED", statusCode: 401, apiMessage: "Unauthorized" });
    expect(err.message).toMatch(/TUCO_API_KEY/);
    expect(err.message).not.toContain("tuco_bad_key_0451");
  });

  it("fails with a read-only error (402) on writes of a past-due workspace", async () => {
    const { id } = await client.create(body());
    await control.setWorkspace(KEY, { readOnly: true });
    for (const call of [client.create(body()), client.update(id, { name: "x" }), client.delete(id)]) {
      const err = await rejection(call);
      expect(err).toBeInstanceOf(TucoReadOnlyError);
      expect(err).toMatchObject({ code: "READ_ONLY", statusCode: 402, reason: "past_due" });
    }
    expect(await client.list()).toHaveLength(1);
  });

  it("fails with a no-workspace error (400 No active workspace)", async () => {
    await control.setWorkspace(KEY, { noWorkspace: true });
    const err = await rejection(client.list());
    expect(err).toBeInstanceOf(TucoNoWorkspaceError);
    expect(err).toMatchObject({ code: "NO_WORKSPACE", apiMessage: "No active workspace" });
  });

  it("fails with not-found (404) for get, patch, delete and health-check of an unknown id", async () => {
    const id = "680a1b2c3d4e5f6789012345";
    for (const call of [client.get(id), client.update(id, { name: "x" }), client.delete(id), client.healthCheck(id)]) {
      const err = await rejection(call);
      expect(err).toBeInstanceOf(TucoNotFoundError);
      expect(err).toMatchObject({ code: "NOT_FOUND", statusCode: 404, apiMessage: "Webhook not found" });
    }
  });

  it("does not find another workspace's webhook", async () => {
    const { id } = await client.create(body());
    const other = new TucoClient({ apiUrl: emulator.url, apiKey: "tuco_sk_other", retry: FAST });
    expect(await other.tryGet(id)).toBeUndefined();
    await other.close();
  });

  it("fails with a rate-limit error carrying the wait when 429s outlast the retries", async () => {
    const few = new TucoClient({ apiUrl: emulator.url, apiKey: KEY, retry: { ...FAST, retries: 1 } });
    await control.addFault({ kind: "status", status: 429, retryAfter: 0, times: 5, path: "/api/webhooks" });
    const err = await rejection(few.list());
    await few.close();
    expect(err).toBeInstanceOf(TucoRateLimitError);
    expect(err).toMatchObject({ code: "RATE_LIMITED", statusCode: 429, retryAfterMs: 0 });
    expect((await control.requests()).filter((r) => r.status === 429)).toHaveLength(2);
  });

  it("fails at once, without waiting, when Retry-After is longer than allowed", async () => {
    await control.addFault({ kind: "status", status: 429, retryAfter: 3600, path: "/api/webhooks" });
    const err = await rejection(client.list());
    expect(err).toMatchObject({ code: "RATE_LIMITED", retryAfterMs: 3_600_000 });
    expect(err.message).toMatch(/was rate limited \(429: Too Many Requests\), not retried: Tuco asked to wait 3600 s, longer than the 60 s a request waits\. Apply again later/);
    expect(retries).toEqual([]);
  });

  it("fails with a server error (500) without retrying it", async () => {
    await control.addFault({ kind: "status", status: 500, path: "/api/webhooks" });
    const err = await rejection(client.list());
    expect(err).toBeInstanceOf(TucoServerError);
    expect(err).toMatchObject({ code: "SERVER_ERROR", statusCode: 500 });
    expect(retries).toEqual([]);
  });

  it("fails with an unexpected-response error when a 200 is not a webhook or a health-check result (a proxy's page)", async () => {
    const { id } = await client.create({ url: receiver.url, events: ["message.sent"], name: "behind-a-proxy" });
    await control.addFault({ kind: "status", status: 200, method: "GET", path: `/api/webhooks/${id}`, body: { page: "Please sign in" } });
    await control.addFault({ kind: "status", status: 200, method: "POST", path: `/api/webhooks/${id}/health-check`, body: { ok: "yes" } });
    const read = await rejection(client.get(id));
    expect(read).toBeInstanceOf(TucoUnexpectedResponseError);
    expect(read).toMatchObject({ code: "UNEXPECTED_RESPONSE", statusCode: 200 });
    expect(read.message).toMatch(/GET \/api\/webhooks\/[0-9a-f]{24} answered 200 with no webhook \(id, url, events\)/);
    const ping = await rejection(client.healthCheck(id));
    expect(ping).toBeInstanceOf(TucoUnexpectedResponseError);
    expect(ping.message).toMatch(/health-check answered 200 with no health-check result \(success\)/);
    // Without the faults the same calls answer as the contract says.
    expect((await client.get(id)).id).toBe(id);
    expect((await client.healthCheck(id)).success).toBe(true);
  });

  it("never takes an id that is not one (terminal escapes) from an answer: a create is settled like a lost answer, a get fails", async () => {
    const evil = "abc\u001b]0;pwned\u0007\u001b[2J";
    const input = { url: receiver.url, events: ["message.sent"], name: "hostile-id" };
    // A 201 that made nothing, with a hostile id: nothing was created, so the create is tried again.
    await control.addFault({ kind: "status", status: 201, method: "POST", path: "/api/webhooks", body: { id: evil, secret: "whsec_x", ...input, description: null, createdAt: new Date().toISOString() } });
    const created = await client.create(input);
    expect(created.id).toMatch(/^[0-9a-f]{24}$/);
    expect(retries.map((r) => r.reason)).toEqual([expect.stringContaining("no usable id and secret")]);
    await control.addFault({ kind: "status", status: 200, method: "GET", path: `/api/webhooks/${created.id}`, body: { ...(await client.get(created.id)), id: evil } });
    const read = await rejection(client.get(created.id));
    expect(read).toBeInstanceOf(TucoUnexpectedResponseError);
    expect(read.message).not.toMatch(/[\u0000-\u001f\u007f]/);
  });

  it("fails with a connection error when nothing listens", async () => {
    const closed = await startEmulator({ port: 0 });
    await closed.close();
    const dead = new TucoClient({ apiUrl: closed.url, apiKey: KEY, retry: { ...FAST, retries: 2 } });
    const err = await rejection(dead.list());
    await dead.close();
    expect(err).toBeInstanceOf(TucoConnectionError);
    expect(err.message).toMatch(/could not reach Tuco .*ECONNREFUSED.*Check TUCO_API_URL/);
  });

  it("fails with a timeout error when the answer never comes", async () => {
    const impatient = new TucoClient({ apiUrl: emulator.url, apiKey: KEY, timeoutMs: 200, retry: { ...FAST, retries: 1 } });
    await control.addFault({ kind: "hang", path: "/api/webhooks", times: 2 });
    const err = await rejection(impatient.list());
    await impatient.close();
    expect(err).toBeInstanceOf(TucoTimeoutError);
    expect(err).toMatchObject({ code: "TIMEOUT", timeoutMs: 200 });
  });

  it("reads TUCO_TIMEOUT_MS and rejects a bad one naming the variable, the value and the fix", () => {
    expect(resolveApiConfig({}, { TUCO_API_KEY: KEY, TUCO_TIMEOUT_MS: "1500" })).toEqual({ apiKey: KEY, apiUrl: "https://app.tuco.ai", timeoutMs: 1500 });
    expect(resolveApiConfig({ timeoutMs: 900 }, { TUCO_API_KEY: KEY, TUCO_TIMEOUT_MS: "1500" }).timeoutMs).toBe(900);
    expect(() => resolveApiConfig({}, { TUCO_API_KEY: KEY, TUCO_TIMEOUT_MS: "30s" })).toThrow(
      'TUCO_TIMEOUT_MS "30s" is not a whole number of milliseconds: set it to a value from 100 to 600000, e.g. 30000 (the default), or leave it unset.',
    );
    expect(() => resolveApiConfig({}, { TUCO_API_KEY: KEY, TUCO_TIMEOUT_MS: "30" })).toThrow(/TUCO_TIMEOUT_MS "30" is below 100 ms \(it is in milliseconds: 30 s is 30000\)/);
    expect(() => resolveApiConfig({}, { TUCO_API_KEY: KEY, TUCO_TIMEOUT_MS: "3600000" })).toThrow(/is above 600000 ms/);
    expect(() => resolveApiConfig({}, { TUCO_API_KEY: KEY, TUCO_TIMEOUT_MS: "-5" })).toThrow(TucoConfigError);
  });

  it("rejects a missing API key or a bad API URL before any request", () => {
    expect(() => new TucoClient({ apiKey: "" })).toThrow(TucoConfigError);
    expect(() => resolveApiConfig({}, {})).toThrow(/set TUCO_API_KEY/);
    expect(() => new TucoClient({ apiKey: KEY, apiUrl: "ftp://x" })).toThrow(/must start with https:\/\//);
    expect(resolveApiConfig({}, { TUCO_API_KEY: KEY })).toEqual({ apiKey: KEY, apiUrl: "https://app.tuco.ai" });
  });
});

describe("TucoClient retries", () => {
  it("retries 429 honouring Retry-After, then succeeds", async () => {
    await control.addFault({ kind: "status", status: 429, retryAfter: 1, path: "/api/webhooks", method: "GET" });
    expect(await client.list()).toEqual([]);
    expect((await control.requests()).map((r) => r.status)).toEqual([429, 200]);
    expect(retries).toHaveLength(1);
    expect(retries[0].delayMs).toBeGreaterThanOrEqual(1000);
  });

  it.each([502, 503, 504])("retries %i with growing backoff, then succeeds", async (status) => {
    await control.addFault({ kind: "status", status, times: 3, path: "/api/webhooks" });
    expect(await client.list()).toEqual([]);
    expect((await control.requests()).map((r) => r.status)).toEqual([status, status, status, 200]);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3]);
  });

  it("retries a dropped connection for GET, PATCH and health-check", async () => {
    const { id } = await client.create(body());
    for (const method of ["GET", "PATCH", "POST"]) await control.addFault({ kind: "drop", method, path: "/api/webhooks/*" });
    await client.get(id);
    await client.update(id, { name: "renamed" });
    await client.healthCheck(id);
    const log = (await control.requests()).filter((r) => r.path.startsWith("/api/webhooks/"));
    expect(log.map((r) => `${r.method} ${r.status}`)).toEqual(["GET 0", "GET 200", "PATCH 0", "PATCH 200", "POST 0", "POST 200"]);
    expect((await client.get(id)).name).toBe("renamed");
  });

  it("treats a DELETE whose answer was lost as done when the retry finds it gone", async () => {
    const { id } = await client.create(body());
    await control.addFault({ kind: "commit-then-drop", method: "DELETE" });
    await client.delete(id);
    expect(await client.list()).toEqual([]);
    expect((await control.requests()).filter((r) => r.method === "DELETE").map((r) => r.status)).toEqual([0, 404]);
  });

  it("retries a create refused with 429: exactly one webhook is made", async () => {
    await control.addFault({ kind: "status", status: 429, retryAfter: 0, method: "POST", path: "/api/webhooks" });
    await client.create(body());
    expect(await client.list()).toHaveLength(1);
  });

  it("retries a create only after listing proves a 503 or dropped create made nothing", async () => {
    await control.addFault({ kind: "status", status: 503, method: "POST", path: "/api/webhooks" });
    await control.addFault({ kind: "drop", method: "POST", path: "/api/webhooks" });
    const created = await client.create(body());
    expect(await client.list()).toHaveLength(1);
    const log = (await control.requests()).map((r) => `${r.method} ${r.status}`);
    expect(log).toEqual(["POST 503", "GET 200", "POST 0", "GET 200", "POST 201", "GET 200"]);
    expect(created.secret).toBeTruthy();
  });

  it("fails a create whose answer was lost after Tuco made it, naming the webhook, and leaves no duplicate", async () => {
    await control.addFault({ kind: "commit-then-drop", method: "POST", path: "/api/webhooks" });
    const err = await rejection(client.create(body()));
    expect(err).toBeInstanceOf(TucoCreateOutcomeUnknownError);
    const listed = await client.list();
    expect(listed).toHaveLength(1);
    expect(err).toMatchObject({ code: "CREATE_OUTCOME_UNKNOWN", created: true, webhook: { id: listed[0].id } });
    expect(err.message).toMatch(new RegExp(`created it as ${listed[0].id}.*secret never arrived.*delete webhook ${listed[0].id} and create it again`));
    expect((await control.requests()).filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("recovers a lost create in the shared lifecycle: the secretless twin is replaced and the secret works", async () => {
    await control.addFault({ kind: "commit-then-drop", method: "POST", path: "/api/webhooks" });
    const logged: string[] = [];
    const spec = parseWebhookSpec(body());
    const { webhook, secret } = await createWebhook(client, spec, (m) => logged.push(m));
    expect(logged.join("\n")).toMatch(/secret is lost/);
    const listed = await client.list();
    expect(listed.map((w) => w.id)).toEqual([webhook.id]);
    await client.healthCheck(webhook.id);
    const ping = receiver.received.at(-1)!;
    expect(checkTucoSignature(ping.rawBody, ping.headers["x-tuco-signature"], secret).ok).toBe(true);
  });

  it("keeps retrying a request refused with 429 beyond the error retries, up to rateLimitRetries", async () => {
    await control.addFault({ kind: "status", status: 429, retryAfter: 0, times: 6, path: "/api/webhooks", method: "GET" });
    expect(await client.list()).toEqual([]);
    expect((await control.requests()).map((r) => r.status)).toEqual([429, 429, 429, 429, 429, 429, 200]);
    expect(retries.map((r) => r.reason)).toEqual(Array(6).fill("answered 429 Too Many Requests"));

    await control.clearRequests();
    const twice = new TucoClient({ apiUrl: emulator.url, apiKey: KEY, retry: { ...FAST, rateLimitRetries: 2 } });
    await control.addFault({ kind: "status", status: 429, retryAfter: 0, times: 5, path: "/api/webhooks", method: "GET" });
    const err = await rejection(twice.list());
    await twice.close();
    expect(err).toBeInstanceOf(TucoRateLimitError);
    expect((await control.requests()).map((r) => r.status)).toEqual([429, 429, 429]);
  });

  it("holds every request of the client until the Retry-After of a 429 has passed", async () => {
    const { id } = await client.create(body());
    await control.clearRequests();
    await control.addFault({ kind: "status", status: 429, retryAfter: 1, path: "/api/webhooks", method: "GET" });
    const listing = client.list();
    // Send the second request only once Tuco has refused the first.
    while (!(await control.requests()).some((r) => r.status === 429)) await new Promise((r) => setImmediate(r));
    const [got] = await Promise.all([client.get(id), listing]);
    expect(got.id).toBe(id);
    const log = await control.requests();
    const refusedAt = Date.parse(log.find((r) => r.status === 429)!.at);
    const later = log.filter((r) => r.status !== 429);
    expect(later.map((r) => `${r.method} ${r.path}`).sort()).toEqual(["GET /api/webhooks", `GET /api/webhooks/${id}`]);
    for (const r of later) expect(Date.parse(r.at) - refusedAt).toBeGreaterThanOrEqual(1000);
  });

  it("lists after a 500 to a create: a webhook Tuco made anyway is named, never left as a silent orphan", async () => {
    await control.addFault({ kind: "commit-then-status", status: 500, method: "POST", path: "/api/webhooks" });
    const err = await rejection(client.create(body()));
    expect(err).toBeInstanceOf(TucoCreateOutcomeUnknownError);
    const listed = await client.list();
    expect(listed).toHaveLength(1);
    expect(err).toMatchObject({ created: true, webhook: { id: listed[0].id } });
    expect(err.message).toMatch(/reached Tuco but it answered 500 Internal Server Error\. Tuco created it as/);
  });

  it("fails a create answered 500 without retrying it, saying that listing proved nothing was made", async () => {
    await control.addFault({ kind: "status", status: 500, method: "POST", path: "/api/webhooks" });
    const err = await rejection(client.create(body()));
    expect(err).toBeInstanceOf(TucoServerError);
    expect(err.message).toMatch(/failed on Tuco's side \(500: Internal Server Error\); Tuco did not create webhook "crm" \(checked by listing the workspace\)\. Nothing was lost: apply again later\./);
    expect((await control.requests()).map((r) => `${r.method} ${r.status}`)).toEqual(["POST 500", "GET 200"]);
    expect(await client.list()).toEqual([]);
  });

  it("reuses keep-alive connections across requests", async () => {
    // A TCP relay in front of the emulator counts the connections the client opens.
    let connections = 0;
    const relay = createServer((socket) => {
      connections++;
      const upstream = connect(Number(new URL(emulator.url).port), "127.0.0.1");
      socket.pipe(upstream).pipe(socket);
      socket.on("error", () => upstream.destroy());
      upstream.on("error", () => socket.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const relayed = new TucoClient({ apiUrl: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`, apiKey: KEY, retry: FAST });
    try {
      const { id } = await relayed.create(body());
      for (let i = 0; i < 10; i++) await relayed.get(id);
      // Without keep-alive each of the 11 requests would open a socket.
      expect(connections).toBeGreaterThanOrEqual(1);
      expect(connections).toBeLessThanOrEqual(2);
    } finally {
      await relayed.close();
      relay.close();
    }
  });
});
