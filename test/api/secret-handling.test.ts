/**
 * What the client and the shared lifecycle do with the two secrets they handle, the API key and a
 * webhook's one-time secret, where a program would print or log them.
 *
 * A `201` to `POST /api/webhooks` that arrives mangled (a gateway cut it, rewrote it, or turned it
 * into a page) after Tuco really created the webhook. The secret may be in that body: no error may
 * carry it (message, `body`, `cause`, or what `util.inspect` prints when someone logs the error), and
 * nothing may be lost: the client treats the answer as lost, finds the webhook by listing, and the
 * shared lifecycle and the CLI replace that secretless webhook with one whose secret is sealed.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TucoClient } from "../../src/api/client";
import { TucoConfigError, TucoCreateOutcomeUnknownError, TucoUnexpectedResponseError } from "../../src/api/errors";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { checkTucoSignature } from "../../src/receiver/signature";
import { PartialCreateError, createWebhook } from "../../src/webhook/lifecycle";
import { parseWebhookSpec } from "../../src/webhook/spec";
import { startReceiver, type TestReceiver } from "../helpers/receiver";
import { expectNoLeaks, type Needle } from "../helpers/secret-scan";
import { startSecretRecorder, type SecretRecorder } from "../helpers/secret-recorder";
import { ageDecrypt, ageKeypair } from "../helpers/age";
import { runCli } from "../helpers/process";

const KEY = "tuco_sk_mangled_201_tests";
let emulator: RunningEmulator;
let control: EmulatorControl;
let proxy: SecretRecorder;
let receiver: TestReceiver;
let client: TucoClient;
let dir: string;

const json = (text: string) => JSON.parse(text) as Record<string, unknown>;
/** Ways a 201 body arrives broken; each still holds (or held) the secret Tuco minted. */
const MANGLED: [string, (text: string) => string][] = [
  ["without its id", (t) => JSON.stringify({ ...json(t), id: undefined })],
  ["with an empty id", (t) => JSON.stringify({ ...json(t), id: "" })],
  ["with an empty secret", (t) => JSON.stringify({ ...json(t), secret: "" })],
  ["with the secret wrapped in an object", (t) => JSON.stringify({ ...json(t), secret: { value: json(t).secret } })],
  ["cut short, so no longer JSON", (t) => t.slice(0, -1)],
  ["turned into an HTML page", (t) => `<html><body><pre>${t}</pre></body></html>`],
];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 1000 });
  control = new EmulatorControl(emulator.url);
  proxy = await startSecretRecorder(emulator.url);
  receiver = await startReceiver(200);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tuco-mangled-"));
});
afterAll(async () => {
  await client?.close();
  await receiver?.close();
  await proxy?.close();
  await emulator?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await client?.close();
  await control.reset();
  client = new TucoClient({ apiUrl: proxy.url, apiKey: KEY, retry: { retries: 0 } });
});

/** Everything an error shows when printed, logged or serialized, down its cause chain. */
function renderings(err: unknown): { name: string; text: string }[] {
  const e = err as Error & { body?: unknown; cause?: unknown };
  return [
    { name: "message", text: e.message },
    { name: "String(err)", text: String(e) },
    { name: "util.inspect(err)", text: inspect(e, { depth: Infinity, showHidden: true }) },
    { name: "JSON.stringify(err)", text: JSON.stringify(e) ?? "" },
    { name: "cause", text: inspect(e.cause, { depth: Infinity, showHidden: true }) },
  ];
}

describe("a mangled 201 to a create", () => {
  it.each(MANGLED)("answered %s: the error names the webhook Tuco made, carries no secret, and the body is withheld", async (_how, rewrite) => {
    proxy.mangleNextCreate(rewrite);
    const err = await client.create({ url: receiver.url, events: ["message.sent"], name: "mangled" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const [made] = await client.list();
    expect(err).toBeInstanceOf(TucoCreateOutcomeUnknownError);
    const lost = err as TucoCreateOutcomeUnknownError;
    expect(lost.created).toBe(true);
    expect(lost.webhook?.id).toBe(made.id);
    expect(lost.message).toMatch(/reached Tuco but its 201 answer had no usable id and secret\. Tuco created it as [0-9a-f]{24}/);
    expect(lost.cause).toBeInstanceOf(TucoUnexpectedResponseError);
    expect((lost.cause as TucoUnexpectedResponseError).body).toBe("(withheld)");
    const needles: Needle[] = [
      { label: "the minted secret", value: proxy.secrets.at(-1)! },
      { label: "API key", value: KEY },
    ];
    expectNoLeaks(needles, renderings(err));
  });

  it("is recovered by the shared lifecycle: the secretless webhook is deleted and a new one made, whose secret signs the ping", async () => {
    proxy.mangleNextCreate(MANGLED[0][1]);
    const logged: string[] = [];
    const { webhook, secret } = await createWebhook(client, parseWebhookSpec({ url: receiver.url, events: ["message.sent"], name: "recovered" }), (m) => logged.push(m));
    const live = await client.list();
    expect(live.map((w) => w.id)).toEqual([webhook.id]);
    expect(proxy.secrets.slice(-2)[1]).toBe(secret);
    const before = receiver.received.length;
    expect(await client.healthCheck(webhook.id)).toMatchObject({ success: true });
    const ping = receiver.received[before];
    expect(checkTucoSignature(ping.rawBody, ping.headers["x-tuco-signature"], secret)).toEqual({ ok: true });
    expect(logged.join("\n")).toMatch(/Deleting \w+, whose secret is lost, and creating the webhook again/);
    expectNoLeaks([{ label: "the lost secret", value: proxy.secrets.at(-2)! }, { label: "the new secret", value: secret }], [{ name: "log", text: logged.join("\n") }]);
  });

  it("is recovered by `tuco-webhooks apply --json`: one webhook, its secret sealed, and no secret or key in anything it printed", async () => {
    const age = ageKeypair(dir);
    const seal = path.join(dir, "sealed", "crm.age");
    proxy.mangleNextCreate(MANGLED[4][1]);
    const spec = { stack: "prod", key: "crm", name: "crm", url: receiver.url, events: ["message.sent"], seal: { recipients: [age.recipient], path: seal } };
    const run = await runCli(["apply", "--spec", JSON.stringify(spec), "--json"], { TUCO_API_URL: proxy.url, TUCO_API_KEY: KEY, TUCO_STACK_INSTANCE: "secret-handling" });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { action: string; id: string };
    expect(result.action).toBe("created");
    expect((await client.list()).map((w) => w.id)).toEqual([result.id]);
    const [lostSecret, sealedSecret] = proxy.secrets.slice(-2);
    expect(ageDecrypt(seal, age.identityFile)).toBe(sealedSecret);
    expectNoLeaks(
      [
        { label: "the lost secret", value: lostSecret },
        { label: "the sealed secret", value: sealedSecret },
        { label: "API key", value: KEY },
      ],
      [
        { name: "apply stdout", text: run.stdout },
        { name: "apply stderr", text: run.stderr },
        { name: "sealed file", file: seal },
      ],
    );
  });
});

describe("what logging shows", () => {
  it("never shows the API key when a client is printed, inspected or serialized, and the client still works", async () => {
    const key = "tuco_sk_printed_client_key_0123456789";
    const printed = new TucoClient({ apiUrl: emulator.url, apiKey: key, retry: { retries: 0 } });
    try {
      expectNoLeaks(
        [{ label: "API key", value: key }],
        [
          { name: "util.inspect(client)", text: inspect(printed, { depth: Infinity, showHidden: true }) },
          { name: "JSON.stringify(client)", text: JSON.stringify(printed) },
          { name: "String(client)", text: String(printed) },
        ],
      );
      expect(await printed.list()).toEqual([]);
      expect((await control.requests()).at(-1)).toMatchObject({ method: "GET", path: "/api/webhooks", status: 200 });
    } finally {
      await printed.close();
    }
  });

  it("never shows the secret when a PartialCreateError is logged, though `state` still hands it over", async () => {
    await control.addFault({ kind: "status", status: 400, method: "PATCH", path: "/api/webhooks/*", times: 1, body: { error: "Invalid JSON body" } });
    const err = await createWebhook(client, parseWebhookSpec({ url: receiver.url, events: ["message.sent"], name: "paused", isActive: false })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PartialCreateError);
    const partial = err as PartialCreateError;
    const secret = proxy.secrets.at(-1)!;
    expect(partial.state.secret).toBe(secret);
    expect(partial.state.webhook.id).toBe((await client.list())[0].id);
    expectNoLeaks([{ label: "the webhook secret", value: secret }, { label: "API key", value: KEY }], renderings(err));
  });
});

describe("an API URL that holds a secret", () => {
  const key = "tuco_sk_live_swapped_0123456789abcdef";

  it.each([
    ["the API key (TUCO_API_URL and TUCO_API_KEY swapped)", key, /TUCO_API_URL holds an API key \(tuco_sk_\.\.\.\), which is not repeated here/, key],
    ["the API key in its query", `https://app.tuco.ai/?key=${key}`, /TUCO_API_URL holds an API key/, key],
    ["a user and password", "https://bob:hunter2-proxy-pass@app.tuco.ai", /TUCO_API_URL https:\/\/\*\*\*@app\.tuco\.ai carries credentials/, "hunter2-proxy-pass"],
  ])("rejects a TUCO_API_URL holding %s before any request, without repeating it", (_what, apiUrl, message, hidden) => {
    const err = (() => {
      try {
        new TucoClient({ apiKey: "tuco_sk_the_real_key_0123456789", apiUrl });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TucoConfigError);
    expect((err as Error).message).toMatch(message);
    expectNoLeaks([{ label: "the hidden value", value: hidden }], renderings(err));
  });

  it("rejects swapped TUCO_API_URL and TUCO_API_KEY in the CLI with exit 1, naming the variable, and prints neither value", async () => {
    const run = await runCli(["list", "--json"], { TUCO_API_URL: key, TUCO_API_KEY: emulator.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/TUCO_API_URL holds an API key/);
    expectNoLeaks([{ label: "API key", value: key }], [{ name: "stdout", text: run.stdout }, { name: "stderr", text: run.stderr }]);
    expect(await control.requests()).toEqual([]);
  });
});

describe("an age identity given where a recipient belongs", () => {
  it("rejects it in an apply spec, in upper or lower case, before any request, without repeating it", async () => {
    const identity = ageKeypair().identity.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"))!;
    for (const given of [identity, identity.toLowerCase()]) {
      const spec = { stack: "prod", key: "crm", name: "crm", url: receiver.url, events: ["message.sent"], seal: { recipients: [given], path: path.join(dir, "x.age") } };
      const run = await runCli(["apply", "--spec", JSON.stringify(spec)], { TUCO_API_URL: proxy.url, TUCO_API_KEY: KEY, TUCO_STACK_INSTANCE: "secret-handling" });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/seal\.recipients\[0\] is an age SECRET key \(AGE-SECRET-KEY-\.\.\.\): never configure it here/);
      expectNoLeaks([{ label: "age identity", value: given }], [{ name: "stderr", text: run.stderr }, { name: "stdout", text: run.stdout }]);
    }
    expect(await control.requests()).toEqual([]);
  });
});
