/**
 * Issue 6, "scan, don't trust", through the REAL Pulumi dynamic-provider host over gRPC: check,
 * create, diff, read, update, a failed health-check (partial create and partial update), a pause
 * that fails after the create (partial create), a warning, an adoption and delete, with the host
 * recording its own argv and environment. Then the serialized provider, every response, every
 * error, the host's stdout/stderr, argv and environment are scanned for the API key and for every
 * webhook secret the API minted (a recording proxy in front of the emulator writes them down).
 *
 * The only place a webhook secret may appear in plain text is the `secret` property, which
 * `Webhook` declares in `additionalSecretOutputs` (proved at the registration boundary by
 * test/e2e/pulumi-example.test.ts). The API key may appear nowhere, `secret` included.
 */
import * as crypto from "node:crypto";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TucoClient } from "../../src/api/client";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { WEBHOOK_TYPE, webhookProvider } from "../../src/pulumi";
import { assertDistIsFresh } from "../helpers/pulumi-fixtures";
import { ProviderCallError, serializeProvider, startPulumiHost, urnOf, type Props, type PulumiHost } from "../helpers/pulumi-host";
import { ProcessRecorder } from "../helpers/process-recorder";
import { startReceiver, type TestReceiver } from "../helpers/receiver";
import { expectNoLeaks, type Artifact, type Needle } from "../helpers/secret-scan";
import { startSecretRecorder, type SecretRecorder } from "../helpers/secret-recorder";

const KEY = `tuco_sk_pulumi_scan_${crypto.randomBytes(12).toString("hex")}`;
const urn = (name: string) => urnOf(WEBHOOK_TYPE, name);

let emulator: RunningEmulator;
let control: EmulatorControl;
let proxy: SecretRecorder;
let api: TucoClient;
let ok: TestReceiver;
let broken: TestReceiver;
let procs: ProcessRecorder;
let providerText: string;
let host: PulumiHost;
/** The secret of the webhook the test made itself and the provider adopted. */
let adoptedSecret = "";

/** Every property bag the host answered (outputs, partial states) and every check's inputs. */
const answers: { what: string; props: Props }[] = [];
/** Every error the host answered. */
const errors: ProviderCallError[] = [];

beforeAll(async () => {
  assertDistIsFresh();
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 2000 });
  control = new EmulatorControl(emulator.url);
  proxy = await startSecretRecorder(emulator.url);
  api = new TucoClient({ apiKey: KEY, apiUrl: proxy.url, retry: { retries: 0 } });
  ok = await startReceiver(200);
  broken = await startReceiver(500);
  procs = ProcessRecorder.create();
  providerText = await serializeProvider(webhookProvider);
  const { TUCO_API_KEY: _k, TUCO_API_URL: _u, ...rest } = process.env;
  host = await startPulumiHost({ providerText, env: { ...rest, NODE_OPTIONS: procs.env().NODE_OPTIONS } });
  await host.configure({ "tuco:apiKey": KEY, "tuco:apiUrl": proxy.url });
});

afterAll(async () => {
  await host?.close();
  await api?.close();
  await ok?.close();
  await broken?.close();
  await proxy?.close();
  await emulator?.close();
  procs?.dispose();
});

async function failure(call: Promise<unknown>): Promise<ProviderCallError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderCallError);
  errors.push(err as ProviderCallError);
  return err as ProviderCallError;
}

async function checked(name: string, news: Props): Promise<Props> {
  const { inputs, failures } = await host.check(urn(name), {}, news);
  expect(failures).toEqual([]);
  answers.push({ what: `check ${name}`, props: inputs });
  return inputs;
}

function keep<T extends { properties: Props }>(what: string, result: T): T {
  answers.push({ what, props: result.properties });
  return result;
}

describe("no secret leaks through the Pulumi provider's whole lifecycle (real dynamic-provider host)", () => {
  it("check, create, diff, read, update, read, delete", async () => {
    const inputs = await checked("orders", { url: ok.url, events: ["message.sent"], name: "orders", description: "Order updates" });
    const created = keep("create orders", await host.create(urn("orders"), inputs));
    expect((await host.diff(created.id, urn("orders"), created.properties, inputs)).changes).toBe("none");
    const read = keep("read orders", await host.read(created.id, urn("orders"), created.properties, inputs));
    const news = await checked("orders", { url: `${ok.url}/v2`, events: ["message.sent", "message.reply"], name: "orders-v2", description: "Order updates, v2" });
    expect((await host.diff(created.id, urn("orders"), read.properties, news)).changes).toBe("some");
    const updated = keep("update orders", await host.update(created.id, urn("orders"), read.properties, news));
    expect(updated.properties.secret).toBe(created.properties.secret);
    const after = keep("read orders after update", await host.read(created.id, urn("orders"), updated.properties, news));
    await host.delete(created.id, urn("orders"), after.properties);
    expect(await api.tryGet(created.id)).toBeUndefined();
  });

  it("a failed health-check: a partial create, then a partial update, each with its error message", async () => {
    const inputs = await checked("down", { url: broken.url, events: ["message.sent"], name: "down" });
    const createErr = await failure(host.create(urn("down"), inputs));
    expect(createErr.details).toMatch(/Health-check of webhook \w+ failed/);
    expect(createErr.partial?.properties.secret).toEqual(expect.stringMatching(/\S{40,}/));
    answers.push({ what: "partial create down", props: createErr.partial!.properties });
    const partial = createErr.partial!;
    const updateErr = await failure(host.update(partial.id, urn("down"), partial.properties, { ...inputs, name: "down-2" }));
    expect(updateErr.partial?.properties.secret).toBe(partial.properties.secret);
    answers.push({ what: "partial update down", props: updateErr.partial!.properties });
    await host.delete(partial.id, urn("down"), updateErr.partial!.properties);
  });

  it("a pause that fails after Tuco created the webhook: a partial create that keeps the secret", async () => {
    await control.addFault({ kind: "status", status: 400, method: "PATCH", path: "/api/webhooks/*", times: 1, body: { error: "Invalid JSON body" } });
    const inputs = await checked("paused", { url: ok.url, events: ["message.failed"], name: "paused", isActive: false });
    const err = await failure(host.create(urn("paused"), inputs));
    await control.clearFaults();
    expect(err.details).toMatch(/was created, but pausing it \(isActive: false\) failed/);
    expect(err.partial?.properties.secret).toBe(proxy.secrets.at(-1));
    answers.push({ what: "partial create paused", props: err.partial!.properties });
    await host.delete(err.partial!.id, urn("paused"), err.partial!.properties);
  });

  it("a warning under policy warn, and an adoption whose secret stays unknown", async () => {
    const warnInputs = await checked("warned", { url: broken.url, events: ["message.sent"], name: "warned", healthCheck: "warn" });
    const warned = keep("create warned", await host.create(urn("warned"), warnInputs));
    await host.waitForStderr(new RegExp(`Health-check of webhook ${warned.id} failed`));
    await host.delete(warned.id, urn("warned"), warned.properties);

    const legacy = await api.create({ url: ok.url, events: ["message.sent"], name: "legacy" });
    adoptedSecret = legacy.secret;
    const adoptInputs = await checked("adopted", { url: ok.url, events: ["message.sent", "message.opened"], name: "legacy", adoptId: legacy.id });
    const adopted = keep("create adopted", await host.create(urn("adopted"), adoptInputs));
    expect(adopted.properties.secret).toBe("");
    await host.waitForStderr(new RegExp(`Adopted existing webhook ${legacy.id}`));
    await host.delete(adopted.id, urn("adopted"), adopted.properties);
  });

  it("no response, error, output stream, argv or environment holds the API key, and no webhook secret is outside `secret`", async () => {
    // The proxy saw every secret Tuco minted (one per successful create), and they are the real ones.
    const creates = (await control.requests()).filter((r) => r.method === "POST" && r.path === "/api/webhooks" && r.status === 201);
    expect(proxy.secrets).toHaveLength(creates.length);
    expect(new Set(proxy.secrets).size).toBe(5);
    const inSecretOutputs = new Set(answers.map((a) => a.props.secret).filter((s) => typeof s === "string" && s !== ""));
    // Every secret minted by the provider reached its `secret` output; the adopted one (made by the test) never did.
    expect([...inSecretOutputs].sort()).toEqual(proxy.secrets.filter((s) => s !== adoptedSecret).sort());

    const key: Needle = { label: "API key", value: KEY };
    const secrets: Needle[] = proxy.secrets.map((value, i) => ({ label: `webhook secret #${i + 1}`, value }));
    const withoutSecret = (props: Props) => {
      const { secret: _secret, ...rest } = props;
      return rest;
    };
    const errorArtifacts = errors.flatMap((e, i): Artifact[] => [
      { name: `error ${i + 1} (${e.method}) message`, text: `${e.message}\n${e.details}\n${(e.partial?.reasons ?? []).join("\n")}` },
      { name: `error ${i + 1} (${e.method}) partial properties without secret`, text: JSON.stringify(withoutSecret(e.partial?.properties ?? {})) },
      // The error as a program would log it: the partial state (and its secret) stays out of sight.
      { name: `error ${i + 1} (${e.method}) util.inspect`, text: inspect(e, { depth: Infinity, showHidden: true }) },
      { name: `error ${i + 1} (${e.method}) JSON.stringify`, text: JSON.stringify(e) },
    ]);
    const host1 = procs.nodeProcesses();
    expect(host1).toHaveLength(1);
    expect(host1[0].argv.slice(1).join(" ")).toMatch(/cmd\/dynamic-provider\/index\.js 127\.0\.0\.1:1$/);
    expect(procs.spawns()).toEqual([]);
    const streams: Artifact[] = [
      { name: "host stderr", text: host.stderr() },
      { name: "host stdout", text: host.stdout() },
    ];
    expect(host.stderr()).toMatch(/Adopted existing webhook/);

    // Webhook secrets: nowhere but `secret`.
    expectNoLeaks(secrets, [
      { name: "serialized provider", text: providerText },
      ...answers.map((a) => ({ name: `${a.what}: properties without secret`, text: JSON.stringify(withoutSecret(a.props)) })),
      ...errorArtifacts,
      ...streams,
      ...procs.argvArtifacts(),
      ...procs.envArtifacts(),
    ]);
    // The API key: nowhere at all, `secret` outputs included.
    const report = expectNoLeaks(
      [key],
      [
        { name: "serialized provider", text: providerText },
        ...answers.map((a) => ({ name: `${a.what}: all properties`, text: JSON.stringify(a.props) })),
        ...errors.map((e, i) => ({ name: `error ${i + 1}: all partial properties`, text: JSON.stringify(e.partial?.properties ?? {}) })),
        ...errorArtifacts,
        ...streams,
        ...procs.argvArtifacts(),
        ...procs.envArtifacts(),
      ],
    );
    expect(report.artifacts.filter((a) => a.endsWith("all properties"))).toHaveLength(answers.length);
  });
});
