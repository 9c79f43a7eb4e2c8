import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { request } from "undici";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { api, KEY_A, KEY_B, VALID } from "./helpers";

let emu: RunningEmulator;
let control: EmulatorControl;
beforeEach(async () => {
  emu = await startEmulator({ port: 0 });
  control = new EmulatorControl(emu.url);
});
afterEach(async () => {
  await emu.close();
});

/** Sends a request whose connection the emulator is expected to destroy; resolves with the error. */
async function expectDropped(method: string, path: string, body?: unknown): Promise<void> {
  const attempt = api(emu.url, method, path, { body });
  await expect(attempt).rejects.toThrow();
}

describe("faults", () => {
  test("answers a status fault with its body and Retry-After, once, without touching the store", async () => {
    const id = await control.addFault({ kind: "status", method: "POST", path: "/api/webhooks", status: 503, retryAfter: 2 });
    expect(id).toEqual(expect.any(String));
    const r = await api(emu.url, "POST", "/api/webhooks", { body: VALID });
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ error: "Service Unavailable" });
    expect(r.headers["retry-after"]).toBe("2");
    expect((await api(emu.url, "GET", "/api/webhooks")).body.webhooks).toEqual([]);
    expect((await api(emu.url, "POST", "/api/webhooks", { body: VALID })).status).toBe(201);
    expect(await control.faults()).toEqual([]);
  });

  test("applies a status fault with a custom body to matching methods and path prefixes only, `times` times", async () => {
    await control.addFault({ kind: "status", method: "GET", path: "/api/webhooks/*", status: 429, times: 2, body: { error: "Too many requests" } });
    expect((await api(emu.url, "GET", "/api/webhooks")).status).toBe(200);
    expect((await api(emu.url, "DELETE", "/api/webhooks/abc")).status).toBe(404);
    const a = await api(emu.url, "GET", "/api/webhooks/abc");
    const b = await api(emu.url, "GET", "/api/webhooks/def");
    expect([a.status, b.status]).toEqual([429, 429]);
    expect(a.body).toEqual({ error: "Too many requests" });
    expect((await api(emu.url, "GET", "/api/webhooks/abc")).status).toBe(404);
  });

  test("consumes faults in registration order", async () => {
    await control.addFault({ kind: "status", status: 500 });
    await control.addFault({ kind: "status", status: 502 });
    expect((await api(emu.url, "GET", "/api/webhooks")).status).toBe(500);
    expect((await api(emu.url, "GET", "/api/webhooks")).status).toBe(502);
    expect((await api(emu.url, "GET", "/api/webhooks")).status).toBe(200);
  });

  test("drops the connection without an answer and without creating anything", async () => {
    await control.addFault({ kind: "drop", method: "POST", path: "/api/webhooks" });
    await expectDropped("POST", "/api/webhooks", VALID);
    expect((await api(emu.url, "GET", "/api/webhooks")).body.webhooks).toEqual([]);
    const log = await control.requests();
    expect(log[0]).toMatchObject({ method: "POST", path: "/api/webhooks", status: 0, fault: "drop", body: VALID });
  });

  test("commits then drops: the create happens, the answer never comes, the webhook is listed", async () => {
    await control.addFault({ kind: "commit-then-drop", method: "POST", path: "/api/webhooks" });
    await expectDropped("POST", "/api/webhooks", VALID);
    const list = (await api(emu.url, "GET", "/api/webhooks")).body.webhooks;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject(VALID);
  });

  test("commits then answers a status: the create happens, the answer is the injected 500, the webhook is listed", async () => {
    await control.addFault({ kind: "commit-then-status", method: "POST", path: "/api/webhooks", status: 500 });
    const r = await api(emu.url, "POST", "/api/webhooks", { body: VALID });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ error: "Internal Server Error" });
    const list = (await api(emu.url, "GET", "/api/webhooks")).body.webhooks;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject(VALID);
    expect((await control.requests())[0]).toMatchObject({ method: "POST", status: 500, fault: "commit-then-status" });
    await expect(control.addFault({ kind: "commit-then-status" })).rejects.toMatchObject({ statusCode: 400 });
  });

  test("hangs a request until the emulator is reset, without touching the store", async () => {
    await control.addFault({ kind: "hang", method: "POST" });
    const hung = api(emu.url, "POST", "/api/webhooks", { body: VALID });
    const settled = hung.then(
      () => "answered",
      () => "dropped",
    );
    // The hung request is logged once it arrived; wait for that, then reset.
    let logged = false;
    while (!logged) logged = (await control.requests()).some((r) => r.fault === "hang");
    expect((await api(emu.url, "GET", "/api/webhooks")).body.webhooks).toEqual([]);
    await control.reset();
    expect(await settled).toBe("dropped");
  });

  test("hangs a request until close, and close is fast", async () => {
    await control.addFault({ kind: "hang" });
    const hung = api(emu.url, "GET", "/api/webhooks").then(
      () => "answered",
      () => "dropped",
    );
    let logged = false;
    while (!logged) logged = (await control.requests()).some((r) => r.fault === "hang");
    const started = Date.now();
    await emu.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await hung).toBe("dropped");
  });

  test("delays matching requests by latencyMs, every time by default", async () => {
    await control.addFault({ kind: "latency", path: "/api/webhooks", latencyMs: 150 });
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      expect((await api(emu.url, "GET", "/api/webhooks")).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    }
    expect((await control.faults())[0]).toMatchObject({ kind: "latency", remaining: null });
    await control.clearFaults();
    expect(await control.faults()).toEqual([]);
  });

  test("rejects an invalid fault with 400 naming the field", async () => {
    await expect(control.addFault({ kind: "explode" as "drop" })).rejects.toMatchObject({ statusCode: 400 });
    await expect(control.addFault({ kind: "status" })).rejects.toThrow(/status must be an integer/);
    await expect(control.addFault({ kind: "latency" })).rejects.toThrow(/latencyMs/);
  });
});

describe("request log", () => {
  test("records every /api request in order with its status, body and a workspace label, never the key", async () => {
    await api(emu.url, "GET", "/api/webhooks", { key: null });
    const created = await api(emu.url, "POST", "/api/webhooks", { body: VALID });
    await api(emu.url, "PATCH", `/api/webhooks/${created.body.id}`, { body: { name: "x" } });
    await control.faults();
    const log = await control.requests();
    expect(log.map((r) => [r.seq, r.method, r.path, r.status])).toEqual([
      [1, "GET", "/api/webhooks", 401],
      [2, "POST", "/api/webhooks", 201],
      [3, "PATCH", `/api/webhooks/${created.body.id}`, 200],
    ]);
    expect(log[0].workspace).toBeUndefined();
    expect(log[1].workspace).toMatch(/^[0-9a-f]{8}$/);
    expect(log[1].body).toEqual(VALID);
    expect(log[2].body).toEqual({ name: "x" });
    expect(JSON.stringify(log)).not.toContain(KEY_A);
    expect(JSON.stringify(log)).not.toContain(created.body.secret);
    await control.clearRequests();
    expect(await control.requests()).toEqual([]);
    expect((await api(emu.url, "GET", "/api/webhooks")).body.webhooks).toHaveLength(1);
  });

  test("resets workspaces, faults and the log", async () => {
    await api(emu.url, "POST", "/api/webhooks", { body: VALID });
    await control.addFault({ kind: "status", status: 500, path: "/nothing" });
    await control.reset();
    expect(await control.faults()).toEqual([]);
    expect(await control.requests()).toEqual([]);
    expect((await api(emu.url, "GET", "/api/webhooks")).body.webhooks).toEqual([]);
  });

  test("answers the health probe", async () => {
    const res = await request(`${emu.url}/_emulator/health`);
    expect(await res.body.json()).toEqual({ ok: true });
  });

  test("hosts a receiver that takes every delivery: a webhook pointed at it passes its health-check and gets fired events", async () => {
    const { id } = (await api(emu.url, "POST", "/api/webhooks", { body: { ...VALID, url: `${emu.url}/_emulator/receiver/crm` } })).body;
    const check = await api(emu.url, "POST", `/api/webhooks/${id}/health-check`);
    expect(check.body).toMatchObject({ success: true, statusCode: 200 });
    const get = await request(`${emu.url}/_emulator/receiver/crm`);
    expect({ status: get.statusCode, allow: get.headers.allow }).toEqual({ status: 405, allow: "POST" });
    await get.body.dump();
  });
});

describe("workspace states", () => {
  test("rejects writes of a read-only workspace with 402 READ_ONLY while reads and health-checks work", async () => {
    const { id } = (await api(emu.url, "POST", "/api/webhooks", { body: VALID })).body;
    await control.setWorkspace(KEY_A, { readOnly: true });
    const readOnly = { error: "READ_ONLY", code: "READ_ONLY", reason: "past_due" };
    for (const [method, path, body] of [
      ["POST", "/api/webhooks", VALID],
      ["PATCH", `/api/webhooks/${id}`, { name: "x" }],
      ["DELETE", `/api/webhooks/${id}`, undefined],
    ] as const) {
      const r = await api(emu.url, method, path, { body });
      expect({ status: r.status, body: r.body }).toEqual({ status: 402, body: readOnly });
    }
    expect((await api(emu.url, "GET", "/api/webhooks")).body.webhooks).toHaveLength(1);
    expect((await api(emu.url, "GET", `/api/webhooks/${id}`)).body.name).toBe(VALID.name);
    expect((await api(emu.url, "POST", `/api/webhooks/${id}/health-check`)).status).toBe(200);
    expect((await api(emu.url, "POST", "/api/webhooks", { key: KEY_B, body: VALID })).status).toBe(201);
    await control.setWorkspace(KEY_A, { readOnly: false });
    expect((await api(emu.url, "DELETE", `/api/webhooks/${id}`)).status).toBe(200);
  });

  test("rejects every webhook route of a workspace without one with 400 No active workspace", async () => {
    await control.setWorkspace(KEY_A, { noWorkspace: true });
    for (const [method, path, body] of [
      ["GET", "/api/webhooks", undefined],
      ["POST", "/api/webhooks", VALID],
      ["GET", "/api/webhooks/abc", undefined],
      ["PATCH", "/api/webhooks/abc", { name: "x" }],
      ["DELETE", "/api/webhooks/abc", undefined],
      ["POST", "/api/webhooks/abc/health-check", undefined],
    ] as const) {
      const r = await api(emu.url, method, path, { body });
      expect({ path, status: r.status, body: r.body }).toEqual({ path, status: 400, body: { error: "No active workspace" } });
    }
    await control.reset();
    expect((await api(emu.url, "GET", "/api/webhooks")).status).toBe(200);
  });
});

describe("rate limit", () => {
  test("rejects requests beyond the limit with 429 and Retry-After without changing the store", async () => {
    await control.setRateLimit(3);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await api(emu.url, "POST", "/api/webhooks", { body: { ...VALID, name: `n${i}` } }));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(2);
    for (const a of limited) {
      expect(a.body).toEqual({ error: "Too many requests" });
      expect(Number(a.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    }
    await control.setRateLimit(null);
    const created = answers.filter((a) => a.status === 201).length;
    expect((await api(emu.url, "GET", "/api/webhooks")).body.webhooks).toHaveLength(created);
  });

  test("applies the rateLimitPerSecond option from start", async () => {
    const limited = await startEmulator({ rateLimitPerSecond: 1 });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await api(limited.url, "GET", "/api/webhooks")).status);
      expect(statuses).toContain(429);
      // The control surface is never rate limited.
      expect((await request(`${limited.url}/_emulator/health`)).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  test("never accepts more than the limit in any 1000 ms of the request log, across window edges too", async () => {
    await control.setRateLimit(4);
    // Bursts of 6 in parallel until the log spans more than two seconds: a window that resets
    // at fixed edges would accept 4 at the end of one and 4 at the start of the next.
    let spanMs = 0;
    while (spanMs < 2200) {
      await Promise.all(Array.from({ length: 6 }, () => api(emu.url, "GET", "/api/webhooks")));
      const log = await control.requests();
      spanMs = Date.parse(log.at(-1)!.at) - Date.parse(log[0].at);
    }
    const log = await control.requests();
    const accepted = log.filter((r) => r.status === 200).map((r) => Date.parse(r.at));
    for (const start of accepted) expect(accepted.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(4);
    expect(accepted.length).toBeGreaterThanOrEqual(8);
    const refused = log.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(log.every((r) => r.status === 200 || r.status === 429)).toBe(true);
  });

  test("rejects a non-positive rate limit", async () => {
    await expect(control.setRateLimit(0)).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe("startEmulator", () => {
  test("rejects invalid options naming the value", async () => {
    await expect(startEmulator({ port: 70000 })).rejects.toThrow(/port must be an integer from 0 to 65535/);
    await expect(startEmulator({ deliveryTimeoutMs: 0 })).rejects.toThrow(/deliveryTimeoutMs/);
  });

  test("serves a base URL without a trailing slash and closes idempotently", async () => {
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await emu.close();
    await emu.close();
  });
});
