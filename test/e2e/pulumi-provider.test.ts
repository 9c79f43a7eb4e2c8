/**
 * The Webhook dynamic provider driven through the REAL @pulumi/pulumi dynamic-provider host over
 * gRPC, as the Pulumi engine drives it, against the emulator.
 */
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TucoClient } from "../../src/api/client";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { WEBHOOK_TYPE, webhookProvider } from "../../src/pulumi";
import { checkExit, run } from "../helpers/process";
import { assertDistIsFresh, ROOT, envWithoutTuco } from "../helpers/pulumi-fixtures";
import { outputsOf, ProviderCallError, serializeProvider, startPulumiHost, urnOf, type Props, type PulumiHost } from "../helpers/pulumi-host";
import { startReceiver, type TestReceiver } from "../helpers/receiver";
import { expectNoLeaks } from "../helpers/secret-scan";

const KEY = "tuco_sk_pulumi_e2e_7f3c9a";
const urn = (name: string) => urnOf(WEBHOOK_TYPE, name);

let emulator: RunningEmulator;
let control: EmulatorControl;
let api: TucoClient;
let ok: TestReceiver;
let broken: TestReceiver;
let providerText: string;
let host: PulumiHost;

/** The host's environment: no Tuco credentials, so only the Pulumi config can supply them. */
beforeAll(async () => {
  assertDistIsFresh();
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 2000 });
  control = new EmulatorControl(emulator.url);
  api = new TucoClient({ apiKey: KEY, apiUrl: emulator.url, retry: { retries: 0 } });
  ok = await startReceiver(200);
  broken = await startReceiver(500);
  providerText = await serializeProvider(webhookProvider);
  host = await startPulumiHost({ providerText, env: envWithoutTuco() });
  await host.configure({ "tuco:apiKey": KEY, "tuco:apiUrl": emulator.url });
});

afterAll(async () => {
  await host?.close();
  await api?.close();
  await ok?.close();
  await broken?.close();
  await emulator?.close();
});

beforeEach(async () => {
  await control.reset();
});

afterEach(() => {
  ok.status = 200;
});

/** check then create, as `pulumi up` does for a new resource. */
async function checkAndCreate(name: string, news: Props): Promise<{ inputs: Props; id: string; properties: Props }> {
  const { inputs, failures } = await host.check(urn(name), {}, news);
  expect(failures).toEqual([]);
  const { id, properties } = await host.create(urn(name), inputs);
  return { inputs, id, properties };
}

describe("the Webhook provider through the real dynamic-provider host", () => {
  it("goes through check, create, an empty diff, a clean read, drift, update, a clean read and delete like Pulumi's provider tests", async () => {
    const news = { url: ok.url, events: ["message.reply", "message.sent", "message.reply"], name: " crm ", description: "CRM sync", isActive: true, healthCheck: "fail" };

    // check: normalized inputs, no failures, no API call.
    const { inputs, failures } = await host.check(urn("crm"), {}, news);
    expect(failures).toEqual([]);
    expect(outputsOf(inputs)).toEqual({ url: ok.url, events: ["message.reply", "message.sent"], name: "crm", description: "CRM sync", isActive: true, healthCheck: "fail", adoptId: null });
    expect(await control.requests()).toEqual([]);

    // create: POST, then the health-check ping reaches the endpoint.
    const pings = ok.received.length;
    const created = await host.create(urn("crm"), inputs);
    const id = created.id;
    expect(id).toMatch(/\S/);
    const outs = outputsOf(created.properties);
    expect(outs).toMatchObject({ webhookId: id, url: ok.url, events: ["message.reply", "message.sent"], name: "crm", description: "CRM sync", isActive: true, failureCount: 0, healthCheck: "fail", adoptId: null });
    expect(outs.secret).toEqual(expect.stringMatching(/^\S{20,}$/));
    expect(outs.lastHealthCheck).toMatchObject({ success: true, skipped: false, statusCode: 200, error: "" });
    expect(ok.received.length).toBe(pings + 1);
    expect(ok.received.at(-1)?.headers["x-tuco-signature"]).toBeTruthy();
    for (const [field, value] of Object.entries(outs)) expect(value, field).not.toBeUndefined();

    // A second preview: no change.
    expect(await host.diff(id, urn("crm"), created.properties, inputs)).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });

    // refresh with no change outside: the same properties.
    const clean = await host.read(id, urn("crm"), created.properties, inputs);
    expect(clean.id).toBe(id);
    expect(clean.properties).toEqual(created.properties);

    // A change made outside Pulumi.
    await api.update(id, { url: broken.url, events: ["message.failed"], isActive: false, description: "edited by hand" });

    // refresh shows the drift; the secret is carried over from state.
    const drifted = await host.read(id, urn("crm"), clean.properties, inputs);
    expect(outputsOf(drifted.properties)).toMatchObject({ url: broken.url, events: ["message.failed"], isActive: false, description: "edited by hand", name: "crm", secret: outs.secret });

    // The next preview shows it, without a replacement.
    expect(await host.diff(id, urn("crm"), drifted.properties, inputs)).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });

    // up patches exactly the drifted fields back, and health-checks again.
    await control.clearRequests();
    const updated = await host.update(id, urn("crm"), drifted.properties, inputs);
    expect(outputsOf(updated.properties)).toMatchObject({ url: ok.url, events: ["message.reply", "message.sent"], isActive: true, description: "CRM sync", secret: outs.secret });
    const calls = await control.requests();
    const patches = calls.filter((r) => r.method === "PATCH");
    expect(patches).toHaveLength(1);
    // The description edited away the resource's marker: it is patched back, naming the webhook's own id.
    expect(patches[0].body).toEqual({ url: ok.url, events: ["message.reply", "message.sent"], description: expect.stringMatching(new RegExp(`^CRM sync\n\n\\[tuco-webhooks pulumi=\\S+ resource=[0-9a-f]{16} id=${id} sum=[0-9a-f]{8}\\]$`)), isActive: true });
    expect(calls.some((r) => r.method === "POST" && r.path.endsWith("/health-check"))).toBe(true);

    // refresh after the update is clean, and so is the next preview.
    const after = await host.read(id, urn("crm"), updated.properties, inputs);
    expect(after.properties).toEqual(updated.properties);
    expect((await host.diff(id, urn("crm"), after.properties, inputs)).changes).toBe("none");

    // destroy, then the API has nothing left.
    await host.delete(id, urn("crm"), after.properties);
    expect(await api.list()).toEqual([]);
  });

  it("rejects bad input in check with one failure per field and makes no API request", async () => {
    const { failures } = await host.check(urn("bad"), {}, {
      url: "http://hooks.example.com/tuco",
      events: ["message.sent", "message.deleted"],
      name: "",
      isActive: "yes",
      healthCheck: "sometimes",
    });
    expect(failures.map((f) => f.property).sort()).toEqual(["events", "healthCheck", "isActive", "name", "url"]);
    expect(failures.find((f) => f.property === "url")?.reason).toMatch(/https:\/\//);
    expect(failures.find((f) => f.property === "events")?.reason).toMatch(/message\.deleted/);
    expect(await control.requests()).toEqual([]);
  });

  it("passes values unknown during preview through check and reports them as changes in diff", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const { inputs, failures } = await host.check(urn("pending"), {}, { url: unknown, events: ["message.sent"], name: "pending" });
    expect(failures).toEqual([]);
    expect(inputs.url).toBe(unknown);
    const olds = { url: ok.url, events: ["message.sent"], name: "pending", description: null, isActive: true, healthCheck: "fail" };
    expect((await host.diff("x", urn("pending"), olds, inputs)).changes).toBe("some");
    expect(await control.requests()).toEqual([]);
  });

  it("fails a create under policy fail as a partial create that keeps the webhook and its secret in state", async () => {
    const { inputs } = await host.check(urn("down"), {}, { url: broken.url, events: ["message.sent"], name: "down" });
    const err = await host.create(urn("down"), inputs).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderCallError);
    const failure = err as ProviderCallError;
    expect(failure.details).toMatch(/Health-check of webhook .* failed.*HTTP 500/);
    expect(failure.partial).toBeDefined();
    const partial = failure.partial!;
    const [live] = await api.list();
    expect(partial.id).toBe(live.id);
    expect(outputsOf(partial.properties)).toMatchObject({ webhookId: live.id, url: broken.url, secret: expect.stringMatching(/\S{20,}/) });
    expect(partial.properties.lastHealthCheck).toMatchObject({ success: false, skipped: false, statusCode: 500 });
    // The engine stores these properties: later calls need the provider in them.
    expect(partial.properties.__provider).toBe(providerText);
    for (const [field, value] of Object.entries(partial.properties)) expect(value, field).not.toBeUndefined();

    // The next `up`: nothing to patch, but the engine updates a resource with init errors anyway
    // (step_generator: applyReplaceOnChanges turns DiffNone into DiffSome), which re-checks it in place.
    broken.status = 200;
    try {
      expect((await host.diff(partial.id, urn("down"), partial.properties, inputs)).changes).toBe("none");
      const fixed = await host.update(partial.id, urn("down"), partial.properties, inputs);
      expect(fixed.properties.lastHealthCheck).toMatchObject({ success: true, statusCode: 200 });
      expect(fixed.properties.secret).toBe(partial.properties.secret);
      expect(await api.list()).toHaveLength(1);
    } finally {
      broken.status = 500;
    }
  });

  it("fails an update under policy fail as a partial update whose state has the patched values and the secret", async () => {
    const { id, inputs, properties } = await checkAndCreate("moving", { url: ok.url, events: ["message.sent"], name: "moving" });
    const moved = { ...inputs, url: broken.url };
    const err = await host.update(id, urn("moving"), properties, moved).then(
      () => undefined,
      (e: unknown) => e as ProviderCallError,
    );
    expect(err?.details).toMatch(/HTTP 500/);
    expect(err?.partial?.id).toBe(id);
    expect(outputsOf(err!.partial!.properties)).toMatchObject({ url: broken.url, secret: properties.secret, lastHealthCheck: { success: false, statusCode: 500 } });
    expect((await api.get(id)).url).toBe(broken.url);
  });

  it("creates the webhook and warns under policy warn when the health-check fails", async () => {
    const { id, properties } = await checkAndCreate("warned", { url: broken.url, events: ["message.sent"], name: "warned", healthCheck: "warn" });
    expect(properties.lastHealthCheck).toMatchObject({ success: false, statusCode: 500 });
    expect((await api.get(id)).url).toBe(broken.url);
    const warning = await host.waitForStderr(new RegExp(`Health-check of webhook ${id} failed[^\n]*\n`));
    // The advice fits the policy in force: the webhook is kept under "warn", so no advice to set "warn".
    expect(warning).toMatch(/The webhook is kept, as the health-check policy "warn" says; .*: fix the endpoint\./);
    expect(warning).not.toMatch(/set the health-check policy to "warn"/);
  });

  it("sends no health-check under policy skip", async () => {
    const { properties } = await checkAndCreate("skipped", { url: broken.url, events: ["message.sent"], name: "skipped", healthCheck: "skip" });
    expect(properties.lastHealthCheck).toEqual({ success: false, skipped: true, statusCode: 0, error: "", checkedAt: "" });
    expect((await control.requests()).filter((r) => r.path.endsWith("/health-check"))).toEqual([]);
  });

  it("creates a paused webhook when isActive is false", async () => {
    const { id, properties } = await checkAndCreate("paused", { url: ok.url, events: ["message.reply"], name: "paused", isActive: false });
    expect(properties.isActive).toBe(false);
    expect((await api.get(id)).isActive).toBe(false);
  });

  it("reads a webhook deleted outside Pulumi as gone", async () => {
    const { id, properties } = await checkAndCreate("vanishing", { url: ok.url, events: ["message.sent"], name: "vanishing" });
    await api.delete(id);
    const read = await host.read(id, urn("vanishing"), properties);
    expect(read.id).toBe("");
  });

  it("deletes a webhook that is already gone without error", async () => {
    const { id, properties } = await checkAndCreate("gone", { url: ok.url, events: ["message.sent"], name: "gone" });
    await api.delete(id);
    await expect(host.delete(id, urn("gone"), properties)).resolves.toBeUndefined();
  });

  it("adopts an existing webhook with adoptId: patches it to match and reports its secret as unknown", async () => {
    const existing = await api.create({ url: broken.url, events: ["message.sent"], name: "legacy" });
    await control.clearRequests();
    const { id, properties } = await checkAndCreate("adopted", { url: ok.url, events: ["message.sent", "message.opened"], name: "legacy", adoptId: existing.id });
    expect(id).toBe(existing.id);
    expect(outputsOf(properties)).toMatchObject({ webhookId: existing.id, url: ok.url, events: ["message.opened", "message.sent"], secret: "", adoptId: existing.id });
    const calls = await control.requests();
    expect(calls.filter((r) => r.method === "POST" && r.path === "/api/webhooks")).toEqual([]);
    // Patched to match, and marked as this resource's from now on.
    expect(calls.filter((r) => r.method === "PATCH").map((r) => r.body)).toEqual([
      { url: ok.url, events: ["message.opened", "message.sent"], description: expect.stringMatching(new RegExp(`^\\[tuco-webhooks pulumi=\\S+ resource=[0-9a-f]{16} id=${existing.id} sum=[0-9a-f]{8}\\]$`)) },
    ]);
    expect(await host.waitForStderr(new RegExp(`Adopted existing webhook ${existing.id}.*secret is unknown`))).toBeTruthy();
  });

  it("rejects an adoptId that names no webhook", async () => {
    const { inputs } = await host.check(urn("nobody"), {}, { url: ok.url, events: ["message.sent"], name: "nobody", adoptId: "0123456789abcdef01234567" });
    await expect(host.create(urn("nobody"), inputs)).rejects.toThrow(/adoptId "0123456789abcdef01234567": no such webhook/);
    expect(await api.list()).toEqual([]);
  });

  it("keeps the API key out of the serialized provider and every output, and the secret in the secret output only", async () => {
    expect(providerText).not.toContain(KEY);
    expect(providerText).not.toContain("tuco_sk_");
    const { id, inputs, properties } = await checkAndCreate("scan", { url: ok.url, events: ["message.sent"], name: "scan" });
    const read = await host.read(id, urn("scan"), properties, inputs);
    const updated = await host.update(id, urn("scan"), read.properties, { ...inputs, name: "scan-2" });
    const secret = String(properties.secret);
    expect(secret).toMatch(/\S{20,}/);
    for (const [what, props] of Object.entries({ inputs, created: properties, read: read.properties, updated: updated.properties })) {
      // Plain text and the encodings a leak would take (test/helpers/secret-scan.ts); test/e2e/secrets-pulumi.test.ts scans a whole lifecycle.
      expectNoLeaks([{ label: "API key", value: KEY }], [{ name: `${what}: all properties`, text: JSON.stringify(props) }]);
      const { secret: _secret, ...rest } = props;
      expectNoLeaks([{ label: "webhook secret", value: secret }], [{ name: `${what}: properties without secret`, text: JSON.stringify(rest) }]);
    }
  });

  it("reads its credentials from TUCO_API_KEY and TUCO_API_URL when the Pulumi config has none", async () => {
    const envHost = await startPulumiHost({ providerText, env: { ...envWithoutTuco(), TUCO_API_KEY: KEY, TUCO_API_URL: emulator.url } });
    try {
      await envHost.configure({});
      const { inputs } = await envHost.check(urn("env"), {}, { url: ok.url, events: ["message.sent"], name: "env", healthCheck: "skip" });
      const { id } = await envHost.create(urn("env"), inputs);
      expect((await api.get(id)).name).toBe("env");
    } finally {
      await envHost.close();
    }
  });

  it("fails a create without credentials with a message that names the config to set", async () => {
    const bare = await startPulumiHost({ providerText, env: envWithoutTuco() });
    try {
      await bare.configure({});
      const { inputs } = await bare.check(urn("nokey"), {}, { url: ok.url, events: ["message.sent"], name: "nokey" });
      await expect(bare.create(urn("nokey"), inputs)).rejects.toThrow(/tuco:apiKey/);
    } finally {
      await bare.close();
    }
    expect(await control.requests()).toEqual([]);
  });

  it("fails a create whose tuco:apiUrl ends in /api before any request, naming the config, the value and the fix", async () => {
    const misplaced = await startPulumiHost({ providerText, env: envWithoutTuco() });
    try {
      await misplaced.configure({ "tuco:apiKey": "tuco_sk_pulumi_api_suffix", "tuco:apiUrl": `${emulator.url}/api` });
      const { inputs } = await misplaced.check(urn("suffix"), {}, { url: ok.url, events: ["message.sent"], name: "suffix" });
      const err = await misplaced.create(urn("suffix"), inputs).then(
        () => undefined,
        (e: unknown) => e as ProviderCallError,
      );
      expect(err?.details).toContain(`TUCO_API_URL (Pulumi config tuco:apiUrl) "${emulator.url}/api" ends in /api, which the client adds itself`);
      expect(err?.details).toContain(`drop the /api, i.e. set TUCO_API_URL (Pulumi config tuco:apiUrl) to ${emulator.url}.`);
    } finally {
      await misplaced.close();
    }
    expect(await control.requests()).toEqual([]);
  });
});

describe("serialization of webhookProvider", () => {
  it("from a checkout (not an installed package) is its small methods by value, which load the runtime by its path when they run, under vitest and from compiled JS", async () => {
    const script = `
      const pulumi = require("@pulumi/pulumi");
      const { webhookProvider } = require(${JSON.stringify(path.join(ROOT, "dist", "pulumi", "index.js"))});
      pulumi.runtime.serializeFunction(() => webhookProvider, { allowSecrets: true }).then((sf) => process.stdout.write(sf.text));
    `;
    const { stdout: distText } = checkExit(await run(process.execPath, ["-e", script], envWithoutTuco(), { cwd: ROOT }));
    for (const text of [providerText, distText]) {
      expect(Buffer.byteLength(text)).toBeLessThan(4096);
      expect(text).toContain(JSON.stringify(path.join(ROOT, "dist", "pulumi", "provider-runtime.js")));
      expect(text).not.toMatch(/TucoClient|validateWebhookSpec|undici/);
    }

    // The compiled provider works through the host just like the vitest-serialized one.
    const distHost = await startPulumiHost({ providerText: distText, env: envWithoutTuco() });
    try {
      await distHost.configure({ "tuco:apiKey": KEY, "tuco:apiUrl": emulator.url });
      const { inputs } = await distHost.check(urn("dist"), {}, { url: ok.url, events: ["message.sent"], name: "dist" });
      const { id, properties } = await distHost.create(urn("dist"), inputs);
      expect(properties.__provider).toBe(distText);
      await distHost.delete(id, urn("dist"), properties);
      expect(await api.list()).toEqual([]);
    } finally {
      await distHost.close();
    }
  });
});
