/**
 * Runs examples/pulumi/index.ts unchanged under Pulumi's mocks. Webhook registrations are forwarded
 * to the real provider through the dynamic-provider host (against the emulator); the
 * RegisterResource requests the SDK sends are observed at the monitor to prove `secret` is
 * declared through additionalSecretOutputs.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as resproto from "@pulumi/pulumi/proto/resource_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { readDescription } from "../../src/webhook/ownership";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TucoClient } from "../../src/api/client";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { WEBHOOK_TYPE } from "../../src/pulumi";
import { assertDistIsFresh } from "../helpers/pulumi-fixtures";
import { outputsOf, startPulumiHost, urnOf, type Props, type PulumiHost } from "../helpers/pulumi-host";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

const KEY = "tuco_sk_pulumi_example_51d2";
const PROJECT = "tuco-webhooks";
const STACK = "dev";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

interface Registration {
  readonly type: string;
  readonly name: string;
  readonly additionalSecretOutputs: string[];
  readonly object: Props;
}

let emulator: RunningEmulator;
let api: TucoClient;
let crmEndpoint: TestReceiver;
let supportEndpoint: TestReceiver;
let host: PulumiHost | undefined;
let hostReady: Promise<PulumiHost> | undefined;
const registrations: Registration[] = [];
const created: { id: string; urn: string; properties: Props }[] = [];

function settled<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

beforeAll(async () => {
  assertDistIsFresh();
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 2000 });
  api = new TucoClient({ apiKey: KEY, apiUrl: emulator.url, retry: { retries: 0 } });
  crmEndpoint = await startReceiver(200);
  supportEndpoint = await startReceiver(200);

  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        if (args.type !== WEBHOOK_TYPE) return { id: `${args.name}-id`, state: args.inputs };
        // The serialized provider travels in the inputs, as with the real engine.
        hostReady ??= startHost(String(args.inputs.__provider));
        host = await hostReady;
        const urn = urnOf(args.type, args.name, STACK, PROJECT);
        const { inputs, failures } = await host.check(urn, {}, args.inputs);
        if (failures.length > 0) throw new Error(failures.map((f) => f.reason).join("; "));
        const result = await host.create(urn, inputs);
        created.push({ urn, ...result });
        return { id: result.id, state: outputsOf(result.properties) };
      },
      call: () => ({}),
    },
    PROJECT,
    STACK,
    false,
  );
  observeRegistrations();
  pulumi.runtime.setAllConfig(stackConfig());
});

/** The stack's config, as `pulumi config set` would store it (the engine passes all of it to Configure). */
function stackConfig(): Record<string, string> {
  return {
    "tuco:apiKey": KEY,
    "tuco:apiUrl": emulator.url,
    [`${PROJECT}:crmUrl`]: crmEndpoint.url,
    [`${PROJECT}:repliesUrl`]: supportEndpoint.url,
    [`${PROJECT}:pauseReplies`]: "true",
  };
}

/** The host the engine would start for the first dynamic resource, without Tuco credentials in its environment. */
async function startHost(providerText: string): Promise<PulumiHost> {
  const { TUCO_API_KEY: _k, TUCO_API_URL: _u, ...env } = process.env;
  const started = await startPulumiHost({ providerText, project: PROJECT, env });
  await started.configure(stackConfig());
  return started;
}

afterAll(async () => {
  for (const r of created) await host?.delete(r.id, r.urn, r.properties).catch(() => {});
  await host?.close();
  await api?.close();
  await crmEndpoint?.close();
  await supportEndpoint?.close();
  await emulator?.close();
});

/**
 * Records every RegisterResource request the SDK sends and, for the response, does what the engine
 * does with additionalSecretOutputs (mocks ignore them): marks those outputs secret.
 */
function observeRegistrations(): void {
  type Callback = (err: Error | null, resp: resproto.RegisterResourceResponse | undefined) => void;
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: resproto.RegisterResourceRequest, cb: Callback): void };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const secretOutputs = req.getAdditionalsecretoutputsList();
    registrations.push({ type: req.getType(), name: req.getName(), additionalSecretOutputs: secretOutputs, object: (req.getObject()?.toJavaScript() ?? {}) as Props });
    original(req, (err, resp) => {
      if (resp && secretOutputs.length > 0) {
        const state = (resp.getObject()?.toJavaScript() ?? {}) as Props;
        for (const name of secretOutputs) if (name in state) state[name] = { [SIG_KEY]: SECRET_SIG, value: state[name] };
        resp.setObject(structproto.Struct.fromJavaScript(state as Record<string, structproto.JavaScriptValue>));
      }
      callback(err, resp);
    });
  };
}

describe("examples/pulumi under Pulumi's mocks with the real provider", () => {
  it("creates both webhooks for real, pauses replies by config, and hands the CRM secret to the Kubernetes Secret as a secret", async () => {
    const program = await import("../../examples/pulumi/index.js");
    await settled(pulumi.all([program.crmWebhookId, program.repliesWebhookId, program.crmReceiverSecret.urn]));

    // What the provider made, as the API sees it.
    const live = await api.list();
    const crm = live.find((w) => w.name === "crm");
    const replies = live.find((w) => w.name === "support-replies");
    expect(live).toHaveLength(2);
    expect(crm).toMatchObject({ url: crmEndpoint.url, isActive: true });
    expect(readDescription(crm!.description)).toMatchObject({ description: "All message events, synced into the CRM", marker: { owner: { tool: "pulumi", pulumi: "tuco-webhooks/dev" }, id: crm!.id } });
    expect([...crm!.events].sort()).toEqual(["message.failed", "message.fallback", "message.opened", "message.reply", "message.sent"]);
    expect(replies).toMatchObject({ url: supportEndpoint.url, events: ["message.reply"], isActive: false });
    expect(await settled(program.repliesActive)).toBe(false);
    expect(await settled(program.crmHealthCheck)).toMatchObject({ success: true, statusCode: 200 });

    // The registration boundary: each Webhook declares `secret` through additionalSecretOutputs.
    const webhooks = registrations.filter((r) => r.type === WEBHOOK_TYPE);
    expect(webhooks.map((r) => r.name).sort()).toEqual(["crm", "replies"]);
    for (const r of webhooks) expect(r.additionalSecretOutputs).toEqual(["secret"]);
    expect(registrations.filter((r) => r.type !== WEBHOOK_TYPE).every((r) => r.additionalSecretOutputs.length === 0)).toBe(true);

    // The downstream consumer receives the secret, still marked secret on the wire.
    const crmSecret = String(outputsOf(created.find((c) => c.urn.endsWith("::crm"))!.properties).secret);
    const k8s = registrations.find((r) => r.type === "kubernetes:core/v1:Secret")!;
    expect((k8s.object.stringData as Props).TUCO_WEBHOOK_SECRET).toEqual({ [SIG_KEY]: SECRET_SIG, value: crmSecret });
    expect(await pulumi.isSecret(program.crmSecret)).toBe(true);
    expect(await pulumi.isSecret(program.crm.secret)).toBe(true);
    expect(await pulumi.isSecret(program.crm.url)).toBe(false);

    // The API key never left the host's environment: not in any registration the SDK sent.
    expect(JSON.stringify(registrations)).not.toContain(KEY);
  });
});
