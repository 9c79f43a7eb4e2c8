import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { api, KEY_A, KEY_B, VALID } from "./helpers";

let emu: RunningEmulator;
beforeEach(async () => {
  emu = await startEmulator({ port: 0 });
});
afterEach(async () => {
  await emu.close();
});

const WEBHOOK_FIELDS = [
  "id",
  "url",
  "events",
  "name",
  "description",
  "isActive",
  "lastTriggeredAt",
  "lastSuccessAt",
  "lastFailureAt",
  "failureCount",
  "createdAt",
  "updatedAt",
].sort();

describe("auth", () => {
  test("rejects a request without a key with 401 Unauthorized", async () => {
    const r = await api(emu.url, "GET", "/api/webhooks", { key: null });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: "Unauthorized" });
    expect(r.headers["content-type"]).toBe("application/json");
  });

  test("rejects keys without the tuco_sk_ prefix or with nothing after it", async () => {
    for (const key of ["sk_live_abc", "tuco_sk_", "Basic abc"]) {
      expect((await api(emu.url, "GET", "/api/webhooks", { key })).status).toBe(401);
    }
  });

  test("rejects a non-Bearer authorization scheme", async () => {
    const res = await fetch(`${emu.url}/api/webhooks`, { headers: { authorization: `Token ${KEY_A}` } });
    expect(res.status).toBe(401);
  });

  test("checks the key before the path, method and body", async () => {
    expect((await api(emu.url, "GET", "/api/nothing", { key: null })).status).toBe(401);
    expect((await api(emu.url, "PUT", "/api/webhooks", { key: null })).status).toBe(401);
    expect((await api(emu.url, "POST", "/api/webhooks", { key: null, raw: "{oops" })).status).toBe(401);
  });

  test("accepts only the configured keys when apiKeys is given", async () => {
    const strict = await startEmulator({ apiKeys: ["tuco_sk_only"] });
    try {
      expect((await api(strict.url, "GET", "/api/webhooks", { key: "tuco_sk_only" })).status).toBe(200);
      expect((await api(strict.url, "GET", "/api/webhooks", { key: "tuco_sk_other" })).status).toBe(401);
    } finally {
      await strict.close();
    }
  });
});

describe("webhooks", () => {
  test("creates a webhook and returns the secret only in the 201", async () => {
    const r = await api(emu.url, "POST", "/api/webhooks", { body: { ...VALID, description: "CRM" } });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(["createdAt", "description", "events", "id", "name", "secret", "url", "warning"]);
    expect(r.body).toMatchObject({ ...VALID, description: "CRM", warning: "Save this secret now. You will not be able to see it again." });
    expect(r.body.id).toMatch(/^[0-9a-f]{24}$/);
    expect(Buffer.from(r.body.secret, "base64")).toHaveLength(32);
    expect(r.body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const got = await api(emu.url, "GET", `/api/webhooks/${r.body.id}`);
    expect(got.status).toBe(200);
    expect(Object.keys(got.body).sort()).toEqual(WEBHOOK_FIELDS);
    expect(got.body).toEqual({
      id: r.body.id,
      ...VALID,
      description: "CRM",
      isActive: true,
      lastTriggeredAt: null,
      lastSuccessAt: null,
      lastFailureAt: null,
      failureCount: 0,
      createdAt: r.body.createdAt,
      updatedAt: r.body.createdAt,
    });
    const list = await api(emu.url, "GET", "/api/webhooks");
    expect(JSON.stringify(list.body)).not.toContain(r.body.secret);
    expect(JSON.stringify(got.body)).not.toContain(r.body.secret);
  });

  test("stores a missing or empty description as null", async () => {
    const a = await api(emu.url, "POST", "/api/webhooks", { body: VALID });
    const b = await api(emu.url, "POST", "/api/webhooks", { body: { ...VALID, description: "" } });
    expect(a.body.description).toBeNull();
    expect(b.body.description).toBeNull();
  });

  test("de-duplicates events keeping their order", async () => {
    const r = await api(emu.url, "POST", "/api/webhooks", {
      body: { ...VALID, events: ["message.reply", "message.sent", "message.reply"] },
    });
    expect(r.body.events).toEqual(["message.reply", "message.sent"]);
  });

  test("allows duplicate urls and names", async () => {
    const a = await api(emu.url, "POST", "/api/webhooks", { body: VALID });
    const b = await api(emu.url, "POST", "/api/webhooks", { body: VALID });
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
  });

  test("lists webhooks newest first, including those created in the same millisecond", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api(emu.url, "POST", "/api/webhooks", { body: { ...VALID, name: `n${i}` } })).body.id);
    const list = await api(emu.url, "GET", "/api/webhooks");
    expect(list.status).toBe(200);
    expect(list.body.webhooks.map((w: { id: string }) => w.id)).toEqual(ids.reverse());
  });

  test("keeps one workspace per key: another key sees nothing and gets 404 for the id", async () => {
    const created = await api(emu.url, "POST", "/api/webhooks", { body: VALID });
    const id = created.body.id;
    expect((await api(emu.url, "GET", "/api/webhooks", { key: KEY_B })).body).toEqual({ webhooks: [] });
    for (const [method, path, body] of [
      ["GET", `/api/webhooks/${id}`, undefined],
      ["PATCH", `/api/webhooks/${id}`, { name: "x" }],
      ["DELETE", `/api/webhooks/${id}`, undefined],
      ["POST", `/api/webhooks/${id}/health-check`, undefined],
    ] as const) {
      const r = await api(emu.url, method, path, { key: KEY_B, body });
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error: "Webhook not found" });
    }
    expect((await api(emu.url, "GET", `/api/webhooks/${id}`)).status).toBe(200);
  });

  test("rejects unknown and malformed ids with 404 Webhook not found", async () => {
    for (const id of ["000000000000000000000000", "not-an-id", "ABCDEF0123456789ABCDEF01"]) {
      const r = await api(emu.url, "GET", `/api/webhooks/${id}`);
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error: "Webhook not found" });
    }
    expect((await api(emu.url, "PATCH", "/api/webhooks/nope", { body: { name: "x" } })).body).toEqual({ error: "Webhook not found" });
    expect((await api(emu.url, "DELETE", "/api/webhooks/nope")).body).toEqual({ error: "Webhook not found" });
  });

  test("deletes a webhook, after which it is gone", async () => {
    const { id } = (await api(emu.url, "POST", "/api/webhooks", { body: VALID })).body;
    const r = await api(emu.url, "DELETE", `/api/webhooks/${id}`);
    expect(r).toMatchObject({ status: 200, body: { success: true } });
    expect((await api(emu.url, "GET", `/api/webhooks/${id}`)).status).toBe(404);
    expect((await api(emu.url, "DELETE", `/api/webhooks/${id}`)).status).toBe(404);
    expect((await api(emu.url, "GET", "/api/webhooks")).body.webhooks).toEqual([]);
  });

  test("leaves exactly 200 webhooks with unique ids after 200 concurrent creates", async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => api(emu.url, "POST", "/api/webhooks", { body: { ...VALID, name: `w${i}` } })),
    );
    expect(answers.every((a) => a.status === 201)).toBe(true);
    const list = (await api(emu.url, "GET", "/api/webhooks")).body.webhooks as { id: string }[];
    expect(list).toHaveLength(200);
    expect(new Set(list.map((w) => w.id)).size).toBe(200);
    expect(new Set(answers.map((a) => a.body.id as string))).toEqual(new Set(list.map((w) => w.id)));
  });
});

describe("PATCH", () => {
  async function create(): Promise<string> {
    return (await api(emu.url, "POST", "/api/webhooks", { body: { ...VALID, description: "first" } })).body.id;
  }

  test("changes only the fields present and bumps updatedAt", async () => {
    const id = await create();
    const before = (await api(emu.url, "GET", `/api/webhooks/${id}`)).body;
    const r = await api(emu.url, "PATCH", `/api/webhooks/${id}`, { body: { name: "Renamed", isActive: false } });
    expect(r).toMatchObject({ status: 200, body: { success: true } });
    const after = (await api(emu.url, "GET", `/api/webhooks/${id}`)).body;
    expect(after).toEqual({ ...before, name: "Renamed", isActive: false, updatedAt: after.updatedAt });
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect(after.createdAt).toBe(before.createdAt);
  });

  test("replaces events instead of merging them", async () => {
    const id = await create();
    await api(emu.url, "PATCH", `/api/webhooks/${id}`, { body: { events: ["message.failed", "message.opened"] } });
    expect((await api(emu.url, "GET", `/api/webhooks/${id}`)).body.events).toEqual(["message.failed", "message.opened"]);
  });

  test("clears the description with null or an empty string", async () => {
    for (const description of [null, ""]) {
      const id = await create();
      await api(emu.url, "PATCH", `/api/webhooks/${id}`, { body: { description } });
      expect((await api(emu.url, "GET", `/api/webhooks/${id}`)).body.description).toBeNull();
    }
  });

  test("changes nothing, not even updatedAt, for an empty body or unchanged values", async () => {
    const id = await create();
    const before = (await api(emu.url, "GET", `/api/webhooks/${id}`)).body;
    expect((await api(emu.url, "PATCH", `/api/webhooks/${id}`, { body: {} })).status).toBe(200);
    expect((await api(emu.url, "PATCH", `/api/webhooks/${id}`, { body: { name: VALID.name, isActive: true } })).status).toBe(200);
    expect((await api(emu.url, "GET", `/api/webhooks/${id}`)).body).toEqual(before);
  });
});
