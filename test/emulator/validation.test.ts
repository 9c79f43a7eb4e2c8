import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Readable } from "node:stream";
import { request } from "undici";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { api, KEY_A, VALID } from "./helpers";

let emu: RunningEmulator;
let id: string;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  id = (await api(emu.url, "POST", "/api/webhooks", { body: VALID })).body.id;
});
afterAll(async () => {
  await emu.close();
});

async function expect400(method: string, path: string, body: unknown, error: string): Promise<void> {
  const r = await api(emu.url, method, path, { body });
  expect({ status: r.status, body: r.body }).toEqual({ status: 400, body: { error } });
}

describe("POST validation", () => {
  const cases: [string, unknown, string][] = [
    ["a missing url", { events: VALID.events, name: "n" }, "URL is required"],
    ["an empty url", { ...VALID, url: "" }, "URL is required"],
    ["a non-string url", { ...VALID, url: 42 }, "URL is required"],
    ["an unparseable url", { ...VALID, url: "not a url" }, "Invalid URL format"],
    ["an ftp url", { ...VALID, url: "ftp://example.com/x" }, "Invalid URL format"],
    ["a javascript: url", { ...VALID, url: "javascript:alert(1)" }, "Invalid URL format"],
    ["a url over 2048 chars", { ...VALID, url: `https://example.com/${"a".repeat(2048)}` }, "URL is too long"],
    ["missing events", { url: VALID.url, name: "n" }, "At least one event must be selected"],
    ["empty events", { ...VALID, events: [] }, "At least one event must be selected"],
    ["events that are not an array", { ...VALID, events: "message.sent" }, "At least one event must be selected"],
    ["unknown events", { ...VALID, events: ["message.sent", "a", "b"] }, "Invalid events: a, b"],
    ["a missing name", { url: VALID.url, events: VALID.events }, "Name is required"],
    ["a blank name", { ...VALID, name: "   " }, "Name is required"],
    ["a non-string name", { ...VALID, name: 7 }, "Name is required"],
    ["a name over 256 chars", { ...VALID, name: "n".repeat(257) }, "Name is too long"],
    ["a non-string description", { ...VALID, description: 5 }, "Description must be a string"],
    ["a description over 4096 chars", { ...VALID, description: "d".repeat(4097) }, "Description is too long"],
    ["url, events and name all wrong (url first)", { url: "", events: [], name: "" }, "URL is required"],
    ["events and name wrong (events first)", { url: VALID.url, events: ["x"], name: "" }, "Invalid events: x"],
  ];
  for (const [what, body, error] of cases) {
    test(`rejects ${what} with "${error}"`, async () => {
      await expect400("POST", "/api/webhooks", body, error);
    });
  }

  test("accepts http:// urls and the longest allowed values", async () => {
    const r = await api(emu.url, "POST", "/api/webhooks", {
      body: { url: `http://127.0.0.1:9/${"a".repeat(2048 - 19)}`, events: VALID.events, name: "n".repeat(256), description: "d".repeat(4096) },
    });
    expect(r.status).toBe(201);
  });
});

describe("PATCH validation", () => {
  const cases: [string, unknown, string][] = [
    ["a bad url", { url: "nope" }, "Invalid URL format"],
    ["an empty url", { url: "" }, "Invalid URL format"],
    ["empty events", { events: [] }, "At least one event must be selected"],
    ["unknown events", { events: ["message.sent", "message.clicked"] }, "Invalid events: message.clicked"],
    ["a blank name", { name: "" }, "Name is required"],
    ["a non-boolean isActive", { isActive: "false" }, "isActive must be a boolean"],
    ["a non-string description", { description: 1 }, "Description must be a string"],
    ["a name over 256 chars", { name: "n".repeat(257) }, "Name is too long"],
  ];
  for (const [what, body, error] of cases) {
    test(`rejects ${what} with "${error}" and changes nothing`, async () => {
      const before = (await api(emu.url, "GET", `/api/webhooks/${id}`)).body;
      await expect400("PATCH", `/api/webhooks/${id}`, body, error);
      expect((await api(emu.url, "GET", `/api/webhooks/${id}`)).body).toEqual(before);
    });
  }
});

describe("bodies, paths and methods", () => {
  test("rejects malformed JSON with 400 Invalid JSON body", async () => {
    const r = await api(emu.url, "POST", "/api/webhooks", { raw: "{\"url\":" });
    expect(r).toMatchObject({ status: 400, body: { error: "Invalid JSON body" } });
    const p = await api(emu.url, "PATCH", `/api/webhooks/${id}`, { raw: "nope" });
    expect(p).toMatchObject({ status: 400, body: { error: "Invalid JSON body" } });
  });

  test("rejects JSON that is not an object, and an empty body, with 400 Invalid JSON body", async () => {
    for (const raw of ["[]", "\"x\"", "null", "42"]) {
      expect((await api(emu.url, "POST", "/api/webhooks", { raw })).body).toEqual({ error: "Invalid JSON body" });
    }
    const empty = await request(`${emu.url}/api/webhooks`, { method: "POST", headers: { authorization: `Bearer ${KEY_A}` } });
    expect(empty.statusCode).toBe(400);
    expect(await empty.body.json()).toEqual({ error: "Invalid JSON body" });
  });

  test("does not look at the Content-Type", async () => {
    const res = await request(`${emu.url}/api/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY_A}`, "content-type": "text/plain" },
      body: JSON.stringify(VALID),
    });
    expect(res.statusCode).toBe(201);
    await res.body.dump();
  });

  test("rejects a body over 1 MiB with 413 Payload too large", async () => {
    const body = JSON.stringify({ ...VALID, description: "d".repeat(1024 * 1024) });
    const r = await api(emu.url, "POST", "/api/webhooks", { raw: body });
    expect(r).toMatchObject({ status: 413, body: { error: "Payload too large" } });
  });

  test("rejects a 10 MiB streamed body with 413 and keeps serving", async () => {
    async function* chunks() {
      for (let i = 0; i < 10; i++) yield Buffer.alloc(1024 * 1024, 0x61);
    }
    const res = await request(`${emu.url}/api/webhooks`, { method: "POST", headers: { authorization: `Bearer ${KEY_A}` }, body: Readable.from(chunks()) });
    expect(res.statusCode).toBe(413);
    expect(await res.body.json()).toEqual({ error: "Payload too large" });
    expect((await api(emu.url, "GET", "/api/webhooks")).status).toBe(200);
  });

  test("rejects unknown paths, with and without /api, with 404 Not found", async () => {
    for (const path of ["/api/webhook", "/api/webhooks/x/y", "/api/webhooks/x/health-check/more", "/", "/favicon.ico"]) {
      const r = await api(emu.url, "GET", path);
      expect({ path, status: r.status, body: r.body }).toEqual({ path, status: 404, body: { error: "Not found" } });
      expect(r.headers["content-type"]).toBe("application/json");
    }
  });

  test("rejects a wrong method with 405 and an Allow header", async () => {
    const cases: [string, string, string][] = [
      ["PUT", "/api/webhooks", "GET, HEAD, POST, OPTIONS"],
      ["DELETE", "/api/webhooks", "GET, HEAD, POST, OPTIONS"],
      ["POST", `/api/webhooks/${id}`, "GET, HEAD, PATCH, DELETE, OPTIONS"],
      ["GET", `/api/webhooks/${id}/health-check`, "POST, OPTIONS"],
      ["HEAD", `/api/webhooks/${id}/health-check`, "POST, OPTIONS"],
    ];
    for (const [method, path, allow] of cases) {
      const r = await api(emu.url, method, path);
      expect(r.status).toBe(405);
      if (method !== "HEAD") expect(r.body).toEqual({ error: "Method not allowed" });
      expect(r.headers.allow).toBe(allow);
    }
  });

  test("ignores the query string when routing", async () => {
    expect((await api(emu.url, "GET", "/api/webhooks?limit=1")).status).toBe(200);
  });

  test("answers HEAD like GET without a body: same status and headers, 401 without a key, 404 for an unknown id", async () => {
    for (const path of ["/api/webhooks", `/api/webhooks/${id}`]) {
      const get = await request(`${emu.url}${path}`, { method: "GET", headers: { authorization: `Bearer ${KEY_A}` } });
      const getBody = await get.body.text();
      const head = await request(`${emu.url}${path}`, { method: "HEAD", headers: { authorization: `Bearer ${KEY_A}` } });
      expect(await head.body.text()).toBe("");
      expect({ path, status: head.statusCode, type: head.headers["content-type"], length: head.headers["content-length"] }).toEqual({
        path,
        status: 200,
        type: "application/json",
        length: String(Buffer.byteLength(getBody)),
      });
    }
    expect((await request(`${emu.url}/api/webhooks`, { method: "HEAD" })).statusCode).toBe(401);
    expect((await request(`${emu.url}/api/webhooks/0123456789abcdef01234567`, { method: "HEAD", headers: { authorization: `Bearer ${KEY_A}` } })).statusCode).toBe(404);
  });

  test("answers OPTIONS with 204 and the route's Allow header, without a key, and 404 for an unknown path", async () => {
    const cases: [string, string][] = [
      ["/api/webhooks", "GET, HEAD, POST, OPTIONS"],
      [`/api/webhooks/${id}`, "GET, HEAD, PATCH, DELETE, OPTIONS"],
      [`/api/webhooks/${id}/health-check`, "POST, OPTIONS"],
    ];
    for (const [path, allow] of cases) {
      const res = await request(`${emu.url}${path}`, { method: "OPTIONS" });
      expect({ path, status: res.statusCode, allow: res.headers.allow, body: await res.body.text() }).toEqual({ path, status: 204, allow, body: "" });
    }
    const unknown = await api(emu.url, "OPTIONS", "/api/webhook", { key: null });
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: 404, body: { error: "Not found" } });
  });

  test("redirects a trailing slash with 308 to the path without it, keeping the query, before checking the key", async () => {
    const cases: [string, string][] = [
      ["/api/webhooks/", "/api/webhooks"],
      ["/api/webhooks/?x=1", "/api/webhooks?x=1"],
      [`/api/webhooks/${id}//`, `/api/webhooks/${id}`],
      [`/api/webhooks/${id}/health-check/`, `/api/webhooks/${id}/health-check`],
    ];
    for (const [path, location] of cases) {
      const res = await request(`${emu.url}${path}`, { method: "POST", body: JSON.stringify(VALID) });
      expect({ path, status: res.statusCode, location: res.headers.location, body: await res.body.text() }).toEqual({ path, status: 308, location, body: "" });
    }
    // A client that follows the redirect (fetch does, keeping method and body for 308) gets the real answer.
    const followed = await fetch(`${emu.url}/api/webhooks/`, { method: "POST", headers: { authorization: `Bearer ${KEY_A}` }, body: JSON.stringify(VALID) });
    expect(followed.status).toBe(201);
    expect(((await followed.json()) as { name: string }).name).toBe(VALID.name);
  });
});
