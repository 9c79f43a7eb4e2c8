/**
 * The emulator against Tuco's published OpenAPI document (test/fixtures/tuco-openapi-webhooks.json,
 * a verbatim copy of the webhook part): every documented status of every operation is produced for
 * real over HTTP, error bodies must equal the documented examples, success bodies must have exactly
 * the schema's fields with the schema's types, and the documented request examples must be accepted.
 * Each assertion names the JSON pointer of the part of the document it checks.
 */
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { startReceiver, type TestReceiver } from "../helpers/receiver";
import { api, KEY_A, VALID, type ApiAnswer } from "./helpers";

interface Schema {
  readonly $ref?: string;
  readonly type?: string;
  readonly nullable?: boolean;
  readonly format?: string;
  readonly enum?: readonly string[];
  readonly items?: Schema;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
}
interface Media {
  readonly schema: Schema;
  readonly example?: unknown;
  readonly examples?: Readonly<Record<string, { readonly value: unknown }>>;
}
interface Operation {
  readonly requestBody?: { readonly content: Readonly<Record<string, Media>> };
  readonly responses: Readonly<Record<string, { readonly content: Readonly<Record<string, Media>> }>>;
}
interface OpenApi {
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components: { readonly schemas: Readonly<Record<string, Schema>> };
}

const doc = JSON.parse(readFileSync(path.join(__dirname, "../fixtures/tuco-openapi-webhooks.json"), "utf8")) as OpenApi;
const JSON_TYPE = "application/json";
const LIST = "/api/webhooks";
const ONE = "/api/webhooks/{id}";
const HEALTH = "/api/webhooks/{id}/health-check";
const READ_ONLY_KEY = "tuco_sk_contract_read_only";
const NO_WORKSPACE_KEY = "tuco_sk_contract_no_workspace";
const MISSING_ID = "680a1b2c3d4e5f6789012345";

/** JSON pointer (RFC 6901) into the document. */
function pointer(...parts: string[]): string {
  return `#/${parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;
}

function resolve(schema: Schema): Schema {
  if (schema.$ref === undefined) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  return resolve(doc.components.schemas[name]);
}

function media(p: string, method: string, status: string): Media {
  return doc.paths[p][method].responses[status].content[JSON_TYPE];
}

/** The documented example of a response (the one `name`d, or the single `example`). */
function example(p: string, method: string, status: string, name?: string): { at: string; value: unknown } {
  const m = media(p, method, status);
  if (name === undefined) return { at: pointer("paths", p, method, "responses", status, "content", JSON_TYPE, "example"), value: m.example };
  return { at: pointer("paths", p, method, "responses", status, "content", JSON_TYPE, "examples", name, "value"), value: m.examples![name].value };
}

function requestExample(p: string, method: string, name: string): unknown {
  return doc.paths[p][method].requestBody!.content[JSON_TYPE].examples![name].value;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Checks a value against a schema: types, nullability, enums, date-times; objects must have exactly the schema's fields when `exact`. */
function expectConforms(value: unknown, schema: Schema, at: string, exact: boolean): void {
  const s = resolve(schema);
  if (value === null) {
    expect(s.nullable, `${at}: null where the schema is not nullable`).toBe(true);
    return;
  }
  switch (s.type) {
    case "object": {
      expect(typeof value === "object" && !Array.isArray(value), `${at}: expected an object, got ${JSON.stringify(value)}`).toBe(true);
      const props = s.properties ?? {};
      const keys = Object.keys(value as object);
      if (exact) expect([...keys].sort(), `${at}: fields`).toEqual(Object.keys(props).sort());
      else for (const k of keys) expect(Object.keys(props), `${at}: undocumented field ${k}`).toContain(k);
      for (const k of s.required ?? []) expect(keys, `${at}: required field ${k}`).toContain(k);
      for (const k of keys) expectConforms((value as Record<string, unknown>)[k], props[k], `${at}/properties/${k}`, exact);
      return;
    }
    case "array":
      expect(Array.isArray(value), `${at}: expected an array`).toBe(true);
      for (const item of value as unknown[]) expectConforms(item, s.items!, `${at}/items`, exact);
      return;
    case "integer":
      expect(Number.isInteger(value), `${at}: expected an integer, got ${JSON.stringify(value)}`).toBe(true);
      return;
    case "boolean":
      expect(typeof value, `${at}`).toBe("boolean");
      return;
    case "string":
      expect(typeof value, `${at}`).toBe("string");
      if (s.format === "date-time") expect(value, `${at}: date-time`).toMatch(ISO_UTC);
      if (s.enum) expect(s.enum, `${at}: enum`).toContain(value);
      return;
    default:
      throw new Error(`${at}: the test does not know schema type ${String(s.type)}`);
  }
}

let emu: RunningEmulator;
let control: EmulatorControl;
let ok: TestReceiver;
let badGateway: TestReceiver;
let silent: TestReceiver;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, deliveryTimeoutMs: 400 });
  control = new EmulatorControl(emu.url);
  ok = await startReceiver({ status: 200, body: "OK" });
  badGateway = await startReceiver({ status: 502, body: "upstream connect error" });
  silent = await startReceiver("hang");
  await control.setWorkspace(READ_ONLY_KEY, { readOnly: true });
  await control.setWorkspace(NO_WORKSPACE_KEY, { noWorkspace: true });
});
afterAll(async () => {
  await emu?.close();
  await Promise.all([ok, badGateway, silent].map((r) => r?.close()));
});

async function createWith(key: string, body: unknown = VALID): Promise<{ id: string; secret: string }> {
  const r = await api(emu.url, "POST", LIST, { key, body });
  expect(r.status, `create for a contract case: ${JSON.stringify(r.body)}`).toBe(201);
  return r.body as { id: string; secret: string };
}

/** Makes a webhook in the read-only workspace (while it is writable for a moment). */
async function readOnlyWebhook(): Promise<string> {
  await control.setWorkspace(READ_ONLY_KEY, { readOnly: false });
  try {
    return (await createWith(READ_ONLY_KEY)).id;
  } finally {
    await control.setWorkspace(READ_ONLY_KEY, { readOnly: true });
  }
}

const concrete = (p: string, id: string) => p.replace("{id}", id);

/** One documented response, produced for real. `expected` is an example name, "example", or "schema" (shape check). */
interface Case {
  readonly path: string;
  readonly method: string;
  readonly status: string;
  readonly expected: string;
  readonly call: () => Promise<ApiAnswer>;
}

const withoutKey = (p: string, method: string): Case => ({
  path: p,
  method,
  status: "401",
  expected: "example",
  call: async () => api(emu.url, method.toUpperCase(), concrete(p, (await createWith(KEY_A)).id), { key: null, body: method === "get" || method === "delete" ? undefined : {} }),
});
const readOnly = (p: string, method: string): Case => ({
  path: p,
  method,
  status: "402",
  expected: "example",
  call: async () => api(emu.url, method.toUpperCase(), concrete(p, await readOnlyWebhook()), { key: READ_ONLY_KEY, body: method === "delete" ? undefined : { ...VALID, name: "changed" } }),
});
const missing = (p: string, method: string): Case => ({
  path: p,
  method,
  status: "404",
  expected: "example",
  call: () => api(emu.url, method.toUpperCase(), concrete(p, MISSING_ID), { body: method === "patch" ? { name: "x" } : undefined }),
});
const invalidCreate = (name: string, body: unknown): Case => ({ path: LIST, method: "post", status: "400", expected: name, call: () => api(emu.url, "POST", LIST, { body }) });
const invalidPatch = (name: string, body: unknown): Case => ({
  path: ONE,
  method: "patch",
  status: "400",
  expected: name,
  call: async () => api(emu.url, "PATCH", concrete(ONE, (await createWith(KEY_A)).id), { body }),
});
const healthCheck = (name: string, receiver: () => TestReceiver): Case => ({
  path: HEALTH,
  method: "post",
  status: "200",
  expected: name,
  call: async () => api(emu.url, "POST", concrete(HEALTH, (await createWith(KEY_A, { ...VALID, url: receiver().url })).id)),
});

const CASES: Case[] = [
  { path: LIST, method: "get", status: "200", expected: "schema", call: async () => (await createWith(KEY_A), api(emu.url, "GET", LIST)) },
  { path: LIST, method: "get", status: "400", expected: "example", call: () => api(emu.url, "GET", LIST, { key: NO_WORKSPACE_KEY }) },
  withoutKey(LIST, "get"),
  { path: LIST, method: "post", status: "201", expected: "schema", call: () => api(emu.url, "POST", LIST, { body: VALID }) },
  invalidCreate("urlRequired", { events: VALID.events, name: VALID.name }),
  invalidCreate("invalidUrl", { ...VALID, url: "not a url" }),
  invalidCreate("noEvents", { ...VALID, events: [] }),
  invalidCreate("invalidEvents", { ...VALID, events: ["message.invalid"] }),
  invalidCreate("noName", { url: VALID.url, events: VALID.events }),
  withoutKey(LIST, "post"),
  readOnly(LIST, "post"),
  { path: ONE, method: "get", status: "200", expected: "schema", call: async () => api(emu.url, "GET", concrete(ONE, (await createWith(KEY_A)).id)) },
  withoutKey(ONE, "get"),
  missing(ONE, "get"),
  { path: ONE, method: "patch", status: "200", expected: "example", call: async () => api(emu.url, "PATCH", concrete(ONE, (await createWith(KEY_A)).id), { body: { name: "renamed" } }) },
  invalidPatch("invalidUrl", { url: "not a url" }),
  invalidPatch("noEvents", { events: [] }),
  withoutKey(ONE, "patch"),
  readOnly(ONE, "patch"),
  missing(ONE, "patch"),
  { path: ONE, method: "delete", status: "200", expected: "example", call: async () => api(emu.url, "DELETE", concrete(ONE, (await createWith(KEY_A)).id)) },
  withoutKey(ONE, "delete"),
  readOnly(ONE, "delete"),
  missing(ONE, "delete"),
  healthCheck("success", () => ok),
  healthCheck("failure", () => badGateway),
  healthCheck("timeout", () => silent),
  withoutKey(HEALTH, "post"),
  missing(HEALTH, "post"),
];

/** Every (path, method, status, example) the document holds. */
function documented(): string[] {
  const out: string[] = [];
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, res] of Object.entries(op.responses)) {
        const m = res.content[JSON_TYPE];
        const names = m.examples ? Object.keys(m.examples) : [m.example !== undefined ? "example" : "schema"];
        for (const name of names) out.push(`${method.toUpperCase()} ${p} ${status} ${name}`);
      }
    }
  }
  return out.sort();
}

const caseName = (c: Case) => `${c.method.toUpperCase()} ${c.path} ${c.status} ${c.expected}`;

describe("the emulator against openapi-webhooks.json", () => {
  test("has a case for every documented status and example of every operation", () => {
    const covered = CASES.map(caseName).map((n) => n.replace(/ schema$/, " example"));
    const wanted = documented().map((n) => n.replace(/ schema$/, " example"));
    expect([...covered].sort()).toEqual(wanted);
  });

  test.each(CASES.map((c) => [caseName(c), c] as const))("answers %s as documented", async (_name, c) => {
    const r = await c.call();
    const at = pointer("paths", c.path, c.method, "responses", c.status);
    expect(r.status, `${at}: status (body ${JSON.stringify(r.body)})`).toBe(Number(c.status));
    expect(r.headers["content-type"], `${at}: content type`).toBe(JSON_TYPE);
    const m = media(c.path, c.method, c.status);
    if (c.expected === "schema") {
      // The documented example too, so the check itself is checked against the document.
      expectConforms(m.example, m.schema, `${at}/content/${JSON_TYPE.replace("/", "~1")}/example`, true);
      expectConforms(r.body, m.schema, `${at}/content/${JSON_TYPE.replace("/", "~1")}/schema`, true);
      return;
    }
    const ex = example(c.path, c.method, c.status, c.expected === "example" ? undefined : c.expected);
    expect(r.body, ex.at).toEqual(ex.value);
    expectConforms(r.body, m.schema, `${at}/content/${JSON_TYPE.replace("/", "~1")}/schema`, false);
  });

  test("lists in the documented shape, newest first, and never returns a secret", async () => {
    const first = await createWith(KEY_A, { ...VALID, name: "older" });
    const second = await createWith(KEY_A, { ...VALID, name: "newer" });
    const r = await api(emu.url, "GET", LIST);
    expect(Object.keys(r.body)).toEqual(["webhooks"]);
    const ids = (r.body.webhooks as { id: string }[]).map((w) => w.id);
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
    expect(JSON.stringify(r.body)).not.toContain(first.secret);
    expect(JSON.stringify((await api(emu.url, "GET", concrete(ONE, first.id))).body)).not.toContain(first.secret);
  });

  test.each(["allEvents", "repliesOnly"])("accepts the %s create example and echoes it in the 201 with the documented warning", async (name) => {
    const body = requestExample(LIST, "post", name) as { url: string; events: string[]; name: string; description?: string };
    const r = await api(emu.url, "POST", LIST, { body });
    expect(r.status).toBe(201);
    const documentedAnswer = example(LIST, "post", "201").value as Record<string, unknown>;
    expect(Object.keys(r.body), pointer("paths", LIST, "post", "responses", "201")).toEqual(Object.keys(documentedAnswer));
    expect(r.body).toMatchObject({ url: body.url, events: body.events, name: body.name, description: body.description ?? null, warning: documentedAnswer.warning });
    expect(r.body.id).toMatch(/^[0-9a-f]{24}$/);
    expect(r.body.secret).toEqual(expect.any(String));
  });

  test.each(["changeUrl", "disable", "changeEvents"])("accepts the %s patch example, answers {success:true} and changes exactly that", async (name) => {
    const { id } = await createWith(KEY_A);
    const before = (await api(emu.url, "GET", concrete(ONE, id))).body as Record<string, unknown>;
    const patch = requestExample(ONE, "patch", name) as Record<string, unknown>;
    const r = await api(emu.url, "PATCH", concrete(ONE, id), { body: patch });
    expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: example(ONE, "patch", "200").value });
    const after = (await api(emu.url, "GET", concrete(ONE, id))).body as Record<string, unknown>;
    expect(after).toEqual({ ...before, ...patch, updatedAt: expect.stringMatching(ISO_UTC) });
    expect(after.updatedAt).not.toBe(before.updatedAt);
  });

  test("pings with the documented headers and body: hex HMAC-SHA256 of the raw body, first subscribed event, ISO-8601 UTC timestamp", async () => {
    const events = ["message.opened", "message.sent"];
    const { id, secret } = await createWith(KEY_A, { ...VALID, url: ok.url, events });
    const arrived = ok.next();
    expect((await api(emu.url, "POST", concrete(HEALTH, id))).body.success).toBe(true);
    const got = await arrived;
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["x-tuco-signature"]).toMatch(/^[0-9a-f]{64}$/);
    expect(got.headers["x-tuco-signature"]).toBe(createHmac("sha256", secret).update(got.rawBody).digest("hex"));
    expect(got.headers["x-tuco-event"]).toBe("message.opened");
    expect(got.headers["x-tuco-timestamp"]).toMatch(ISO_UTC);
    const body = JSON.parse(got.rawBody) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["event", "timestamp", "workspaceId", "data"]);
    expect(body).toEqual({
      event: "message.opened",
      timestamp: got.headers["x-tuco-timestamp"],
      workspaceId: expect.stringMatching(/^org_/),
      data: { test: true, message: "This is a health check test webhook from Tuco AI" },
    });
  });
});
