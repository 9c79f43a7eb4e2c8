/**
 * The emulator under abuse (issue 6), beyond test/emulator/{api,validation}.test.ts: 200 concurrent
 * creates, PATCHes and DELETEs racing on the same ids; missing, malformed and foreign API keys on
 * every route; every content type on every write route; malformed JSON of every kind; bodies at and
 * over 1 MiB and a declared 10 MiB; unknown paths and methods. Each answer has the contract's status
 * and body, the store stays consistent (the list is the set of what GET finds, no update is lost,
 * every id is unique, delivery counters untouched), and the emulator keeps serving.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { request } from "undici";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import type { Webhook } from "../../src/api/types";
import { startReceiver, type TestReceiver } from "../helpers/receiver";
import { api, KEY_A, KEY_B, VALID } from "./helpers";

let emu: RunningEmulator;
let control: EmulatorControl;
let receiver: TestReceiver;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, deliveryTimeoutMs: 2000 });
  control = new EmulatorControl(emu.url);
  receiver = await startReceiver(200);
});

afterAll(async () => {
  await emu?.close();
  await receiver?.close();
});

beforeEach(async () => {
  await control.reset();
});

/** Sends anything: any method, headers and raw body. Answers the status, headers and parsed JSON body. */
async function raw(method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}) {
  const res = await request(`${emu.url}${path}`, { method: method as "GET", headers: options.headers, body: options.body });
  const text = await res.body.text();
  let body: unknown = text;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    // left as text: the assertion will show it
  }
  return { status: res.statusCode, headers: res.headers, body };
}

async function create(body: Record<string, unknown> = { ...VALID, url: receiver.url }, key = KEY_A): Promise<string> {
  const r = await api(emu.url, "POST", "/api/webhooks", { body, key });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

async function get(id: string, key = KEY_A): Promise<Webhook | undefined> {
  const r = await api(emu.url, "GET", `/api/webhooks/${id}`, { key });
  return r.status === 200 ? (r.body as Webhook) : undefined;
}

async function list(key = KEY_A): Promise<Webhook[]> {
  return (await api(emu.url, "GET", "/api/webhooks", { key })).body.webhooks as Webhook[];
}

/** Every route of the API, for a given webhook id. */
const routes = (id: string) =>
  [
    ["GET", "/api/webhooks"],
    ["POST", "/api/webhooks"],
    ["GET", `/api/webhooks/${id}`],
    ["PATCH", `/api/webhooks/${id}`],
    ["DELETE", `/api/webhooks/${id}`],
    ["POST", `/api/webhooks/${id}/health-check`],
  ] as const;

describe("200 concurrent writes racing on the same ids", () => {
  test("leave a consistent store: the list is what GET finds, no PATCH is lost, one DELETE wins per id, every id is unique, counters untouched", async () => {
    const seeded: string[] = [];
    for (let i = 0; i < 20; i++) seeded.push(await create({ ...VALID, url: `https://hooks.example.com/seed/${i}`, name: `seed ${i}`, description: `seed ${i}` }));
    const seededState = new Map<string, Webhook>();
    for (const id of seeded) seededState.set(id, (await get(id))!);
    const doomed = new Set(seeded.slice(0, 8));

    // Per seeded id, one PATCH per field, each with a value no other request uses.
    type Op = { kind: "create" | "patch" | "delete"; id?: string; body?: Record<string, unknown> };
    const ops: Op[] = [];
    seeded.forEach((id, i) => {
      ops.push({ kind: "patch", id, body: { url: `https://hooks.example.com/patched/${i}` } });
      ops.push({ kind: "patch", id, body: { name: `patched ${i} ✓` } });
      ops.push({ kind: "patch", id, body: { description: `patched ${i}\nsecond line` } });
      ops.push({ kind: "patch", id, body: { events: ["message.reply", "message.failed"] } });
      ops.push({ kind: "patch", id, body: { isActive: false } });
    });
    for (const id of doomed) for (let k = 0; k < 5; k++) ops.push({ kind: "delete", id });
    while (ops.length < 200) ops.push({ kind: "create", body: { ...VALID, url: `https://hooks.example.com/new/${ops.length}`, name: `new ${ops.length}` } });
    expect(ops).toHaveLength(200);
    // A fixed shuffle so creates, PATCHes and DELETEs interleave on the wire.
    const order = ops.map((op, i) => ({ op, k: (i * 7919) % 200 })).sort((a, b) => a.k - b.k).map((x) => x.op);

    await control.clearRequests();
    const answers = await Promise.all(
      order.map(async (op) => {
        const path = op.kind === "create" ? "/api/webhooks" : `/api/webhooks/${op.id}`;
        const method = op.kind === "create" ? "POST" : op.kind === "patch" ? "PATCH" : "DELETE";
        return { op, answer: await api(emu.url, method, path, { body: op.body }) };
      }),
    );

    const log = await control.requests();

    // Every answer is one the contract allows for the race it was in.
    for (const { op, answer } of answers) {
      if (op.kind === "create") expect(answer.status).toBe(201);
      else if (doomed.has(op.id!)) expect([200, 404], `${op.kind} ${op.id}`).toContain(answer.status);
      else expect(answer.status, `${op.kind} ${op.id}`).toBe(200);
      if (answer.status === 404) expect(answer.body).toEqual({ error: "Webhook not found" });
      if (answer.status === 200) expect(answer.body).toEqual({ success: true });
    }
    for (const id of doomed) {
      const wins = answers.filter((a) => a.op.kind === "delete" && a.op.id === id && a.answer.status === 200);
      expect(wins, `exactly one DELETE of ${id} succeeds`).toHaveLength(1);
    }

    // The list is exactly what GET finds, ids are unique, and the deleted are gone.
    const created = answers.filter((a) => a.op.kind === "create").map((a) => a.answer.body.id as string);
    const listed = await list();
    const listedIds = listed.map((w) => w.id);
    expect(new Set(listedIds).size).toBe(listedIds.length);
    expect(new Set(created).size).toBe(created.length);
    expect(new Set(listedIds)).toEqual(new Set([...seeded.filter((id) => !doomed.has(id)), ...created]));
    for (const w of listed) expect(await get(w.id)).toEqual(w);
    for (const id of doomed) expect(await get(id)).toBeUndefined();

    // No lost update: every surviving seeded webhook carries all five PATCHes; nothing else moved.
    seeded.forEach((id, i) => {
      if (doomed.has(id)) return;
      const w = listed.find((x) => x.id === id)!;
      const before = seededState.get(id)!;
      expect(w).toEqual({
        ...before,
        url: `https://hooks.example.com/patched/${i}`,
        name: `patched ${i} ✓`,
        description: `patched ${i}\nsecond line`,
        events: ["message.reply", "message.failed"],
        isActive: false,
        updatedAt: w.updatedAt,
      });
      expect(Date.parse(w.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    });
    for (const w of listed) {
      expect(w).toMatchObject({ failureCount: 0, lastTriggeredAt: null, lastSuccessAt: null, lastFailureAt: null });
      expect(Date.parse(w.updatedAt)).toBeGreaterThanOrEqual(Date.parse(w.createdAt));
    }

    // The request log holds each of the 200 once, with the status it answered.
    expect(log).toHaveLength(200);
    const tally = (entries: { method: string; status: number }[]) => entries.map((e) => `${e.method} ${e.status}`).sort();
    expect(tally(log)).toEqual(tally(answers.map((a) => ({ method: a.op.kind === "create" ? "POST" : a.op.kind === "patch" ? "PATCH" : "DELETE", status: a.answer.status }))));
  });
});

describe("missing, malformed and foreign API keys, on every route", () => {
  const badAuthorizations: [string, Record<string, string>][] = [
    ["no Authorization header", {}],
    ["an empty Bearer token", { authorization: "Bearer " }],
    ["another scheme", { authorization: `Basic ${Buffer.from("tuco:key").toString("base64")}` }],
    ["a bare key without Bearer", { authorization: KEY_A }],
    ["a key without the tuco_sk_ prefix", { authorization: "Bearer sk_live_0123456789" }],
    ["the prefix alone", { authorization: "Bearer tuco_sk_" }],
  ];

  test("answer 401 Unauthorized before anything else, change nothing and deliver nothing", async () => {
    const id = await create();
    const before = await get(id);
    const pingsBefore = receiver.received.length;
    for (const [what, headers] of badAuthorizations) {
      for (const [method, path] of routes(id)) {
        const r = await raw(method, path, { headers: { ...headers, "content-type": "application/json" }, body: method === "GET" || method === "DELETE" ? undefined : JSON.stringify({ ...VALID, name: "hijacked" }) });
        expect({ what, method, path, status: r.status, body: r.body }).toEqual({ what, method, path, status: 401, body: { error: "Unauthorized" } });
        expect(r.headers["content-type"]).toBe("application/json");
      }
    }
    expect(await get(id)).toEqual(before);
    expect(await list()).toHaveLength(1);
    expect(receiver.received.length).toBe(pingsBefore);
    const log = await control.requests();
    expect(log.filter((e) => e.status === 401)).toHaveLength(badAuthorizations.length * 6);
    expect(log.filter((e) => e.status === 401).every((e) => e.workspace === undefined)).toBe(true);
  });

  test("answer 401 to a well-formed key that is not one of the emulator's keys", async () => {
    const strict = await startEmulator({ apiKeys: ["tuco_sk_only_this_one"] });
    try {
      for (const [method, path] of routes("680a1b2c3d4e5f6789012345")) {
        const res = await request(`${strict.url}${path}`, { method, headers: { authorization: `Bearer ${KEY_A}` } });
        expect({ method, path, status: res.statusCode }).toEqual({ method, path, status: 401 });
        expect(await res.body.json()).toEqual({ error: "Unauthorized" });
      }
    } finally {
      await strict.close();
    }
  });

  test("keep workspaces apart: another workspace's key gets 404 on every id route, sees nothing, changes nothing, pings nothing", async () => {
    const id = await create();
    const before = await get(id);
    const pingsBefore = receiver.received.length;
    const theirs = await create({ ...VALID, name: "theirs" }, KEY_B);
    for (const [method, path] of routes(id).slice(2)) {
      const r = await api(emu.url, method, path, { key: KEY_B, body: method === "PATCH" ? { name: "hijacked", isActive: false } : undefined });
      expect({ method, status: r.status, body: r.body }).toEqual({ method, status: 404, body: { error: "Webhook not found" } });
    }
    expect((await list(KEY_B)).map((w) => w.id)).toEqual([theirs]);
    expect((await list(KEY_A)).map((w) => w.id)).toEqual([id]);
    expect(await get(id)).toEqual(before);
    expect(await get(theirs, KEY_A)).toBeUndefined();
    expect(receiver.received.length).toBe(pingsBefore);
  });
});

describe("content types on every write route", () => {
  const types = ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", ""];

  test("a JSON body is read whatever the Content-Type says, on POST and PATCH (like request.json())", async () => {
    const id = await create();
    for (const type of types) {
      const headers: Record<string, string> = { authorization: `Bearer ${KEY_A}` };
      if (type !== "") headers["content-type"] = type;
      const made = await raw("POST", "/api/webhooks", { headers, body: JSON.stringify({ ...VALID, name: `typed ${type}` }) });
      expect({ type, status: made.status }).toEqual({ type, status: 201 });
      const patched = await raw("PATCH", `/api/webhooks/${id}`, { headers, body: JSON.stringify({ name: `patched as ${type}` }) });
      expect({ type, status: patched.status, body: patched.body }).toEqual({ type, status: 200, body: { success: true } });
      expect((await get(id))!.name).toBe(`patched as ${type}`);
    }
    expect(await list()).toHaveLength(types.length + 1);
  });

  test("a form, XML or multipart body is 400 Invalid JSON body on POST and PATCH, and changes nothing", async () => {
    const id = await create();
    const before = await get(id);
    const bodies: [string, string][] = [
      ["application/x-www-form-urlencoded", `url=${encodeURIComponent(VALID.url)}&events=message.sent&name=Form`],
      ["application/xml", "<webhook><url>https://example.com</url></webhook>"],
      ["multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nMultipart\r\n--x--\r\n'],
      ["text/plain", "name=Plain"],
    ];
    for (const [type, body] of bodies) {
      for (const [method, path] of [["POST", "/api/webhooks"], ["PATCH", `/api/webhooks/${id}`]] as const) {
        const r = await raw(method, path, { headers: { authorization: `Bearer ${KEY_A}`, "content-type": type }, body });
        expect({ type, method, status: r.status, body: r.body }).toEqual({ type, method, status: 400, body: { error: "Invalid JSON body" } });
      }
    }
    expect(await list()).toEqual([before]);
  });

  test("DELETE and the health-check ignore any body and Content-Type they are sent", async () => {
    const id = await create();
    const check = await raw("POST", `/api/webhooks/${id}/health-check`, { headers: { authorization: `Bearer ${KEY_A}`, "content-type": "text/plain" }, body: "not json at all" });
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ success: true, statusCode: 200 });
    const del = await raw("DELETE", `/api/webhooks/${id}`, { headers: { authorization: `Bearer ${KEY_A}`, "content-type": "application/xml" }, body: "<delete/>" });
    expect({ status: del.status, body: del.body }).toEqual({ status: 200, body: { success: true } });
    expect(await list()).toEqual([]);
  });
});

describe("malformed JSON", () => {
  const malformed: [string, string | Buffer][] = [
    ["truncated", '{"url": "https://example.com", "events": ['],
    ["a trailing comma", `{"url": "${VALID.url}", "events": ["message.sent"], "name": "x",}`],
    ["single quotes", "{'url': 'https://example.com'}"],
    ["NaN", '{"url": NaN}'],
    ["a comment", `{"url": "${VALID.url}" /* c */}`],
    ["two documents", `${JSON.stringify(VALID)}${JSON.stringify(VALID)}`],
    ["deeply nested arrays (a stack overflow for a recursive parser)", "[".repeat(500_000)],
    ["a JSON string", '"{\\"url\\": 1}"'],
    ["null", "null"],
  ];

  test("is 400 Invalid JSON body on POST and PATCH, changes nothing, and the emulator keeps serving", async () => {
    const id = await create();
    const before = await list();
    for (const [what, body] of malformed) {
      for (const [method, path] of [["POST", "/api/webhooks"], ["PATCH", `/api/webhooks/${id}`]] as const) {
        const r = await raw(method, path, { headers: { authorization: `Bearer ${KEY_A}`, "content-type": "application/json" }, body });
        expect({ what, method, status: r.status, body: r.body }).toEqual({ what, method, status: 400, body: { error: "Invalid JSON body" } });
      }
    }
    expect(await list()).toEqual(before);
    expect((await raw("GET", "/_emulator/health")).body).toEqual({ ok: true });
  });

  test("a body that starts with a UTF-8 byte order mark is read as the JSON after it, as fetch's request.json() reads it", async () => {
    const r = await raw("POST", "/api/webhooks", { headers: { authorization: `Bearer ${KEY_A}`, "content-type": "application/json" }, body: `\ufeff${JSON.stringify(VALID)}` });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject(VALID);
  });
});

describe("bodies at and over 1 MiB", () => {
  const MiB = 1024 * 1024;
  /** A create body of exactly `size` bytes: VALID with a description padded to fit. */
  const bodyOf = (size: number) => {
    const shell = JSON.stringify({ ...VALID, description: "" });
    return JSON.stringify({ ...VALID, description: "d".repeat(size - Buffer.byteLength(shell)) });
  };

  test("exactly 1 MiB is read and validated (400 Description is too long), one byte more is 413", async () => {
    const atLimit = bodyOf(MiB);
    expect(Buffer.byteLength(atLimit)).toBe(MiB);
    const read = await raw("POST", "/api/webhooks", { headers: { authorization: `Bearer ${KEY_A}` }, body: atLimit });
    expect({ status: read.status, body: read.body }).toEqual({ status: 400, body: { error: "Description is too long" } });
    const over = await raw("POST", "/api/webhooks", { headers: { authorization: `Bearer ${KEY_A}` }, body: bodyOf(MiB + 1) });
    expect({ status: over.status, body: over.body }).toEqual({ status: 413, body: { error: "Payload too large" } });
    expect(await list()).toEqual([]);
  });

  test("a PATCH over 1 MiB is 413 and changes nothing", async () => {
    const id = await create();
    const before = await get(id);
    const r = await raw("PATCH", `/api/webhooks/${id}`, { headers: { authorization: `Bearer ${KEY_A}` }, body: JSON.stringify({ name: "n".repeat(MiB) }) });
    expect({ status: r.status, body: r.body }).toEqual({ status: 413, body: { error: "Payload too large" } });
    expect(await get(id)).toEqual(before);
  });

  test("a declared 10 MiB body is refused from its Content-Length, without being read, and the emulator keeps serving", async () => {
    const r = await raw("POST", "/api/webhooks", { headers: { authorization: `Bearer ${KEY_A}`, "content-type": "application/json" }, body: Buffer.alloc(10 * MiB, 0x20) });
    expect({ status: r.status, body: r.body }).toEqual({ status: 413, body: { error: "Payload too large" } });
    expect(r.headers.connection).toBe("close");
    expect((await control.requests()).map((e) => e.status)).toEqual([413]);
    expect(await create()).toMatch(/^[0-9a-f]{24}$/);
  });

  test("an unauthenticated 10 MiB body gets 401, not 413: the key is checked first", async () => {
    const r = await raw("POST", "/api/webhooks", { body: Buffer.alloc(10 * MiB, 0x20) });
    expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: { error: "Unauthorized" } });
  });
});

describe("unknown paths and methods", () => {
  test("answer 404 Not found for paths that are no route, whatever the method, and 404 Webhook not found for ids that are no webhook", async () => {
    const id = await create();
    // A trailing slash is redirected to the path without it (as a Next.js app does), never served as another route.
    for (const [method, path] of [
      ["GET", "/api/webhooks/"],
      ["POST", "/api/webhooks/"],
      ["GET", `/api/webhooks/${id}/`],
      ["POST", `/api/webhooks/${id}/health-check/`],
    ]) {
      const r = await raw(method, path, { headers: { authorization: `Bearer ${KEY_A}` } });
      expect({ method, path, status: r.status, location: r.headers.location }).toEqual({ method, path, status: 308, location: path.slice(0, -1) });
    }
    const notFound: [string, string][] = [
      ["GET", "/API/webhooks"],
      ["GET", "/api/webhooks//health-check"],
      ["DELETE", "/api"],
      ["GET", "/api/leads"],
      ["PATCH", "/api/webhooks/a/b/c"],
    ];
    for (const [method, path] of notFound) {
      const r = await raw(method, path, { headers: { authorization: `Bearer ${KEY_A}` } });
      expect({ method, path, status: r.status, body: r.body }).toEqual({ method, path, status: 404, body: { error: "Not found" } });
    }
    for (const path of [`/api/webhooks/${id.toUpperCase()}`, `/api/webhooks/${id}%20`, "/api/webhooks/a%2Fb", `/api/webhooks/${"f".repeat(5000)}`]) {
      const r = await raw("GET", path, { headers: { authorization: `Bearer ${KEY_A}` } });
      expect({ path: path.slice(0, 60), status: r.status, body: r.body }).toEqual({ path: path.slice(0, 60), status: 404, body: { error: "Webhook not found" } });
    }
  });

  test("answer 405 with an Allow header for a method a route does not take, and change nothing", async () => {
    const id = await create();
    const before = await get(id);
    const cases: [string, string, string][] = [
      ["PUT", "/api/webhooks", "GET, HEAD, POST, OPTIONS"],
      ["PATCH", "/api/webhooks", "GET, HEAD, POST, OPTIONS"],
      ["DELETE", "/api/webhooks", "GET, HEAD, POST, OPTIONS"],
      ["PUT", `/api/webhooks/${id}`, "GET, HEAD, PATCH, DELETE, OPTIONS"],
      ["POST", `/api/webhooks/${id}`, "GET, HEAD, PATCH, DELETE, OPTIONS"],
      ["DELETE", `/api/webhooks/${id}/health-check`, "POST, OPTIONS"],
      ["PATCH", `/api/webhooks/${id}/health-check`, "POST, OPTIONS"],
      ["PURGE", `/api/webhooks/${id}`, "GET, HEAD, PATCH, DELETE, OPTIONS"],
    ];
    for (const [method, path, allow] of cases) {
      const r = await raw(method, path, { headers: { authorization: `Bearer ${KEY_A}`, "content-type": "application/json" }, body: JSON.stringify({ name: "x" }) });
      expect({ method, path, status: r.status, body: r.body, allow: r.headers.allow }).toEqual({ method, path, status: 405, body: { error: "Method not allowed" }, allow });
    }
    expect(await get(id)).toEqual(before);
    expect(await list()).toHaveLength(1);
  });
});
