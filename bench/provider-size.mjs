// The serialized Pulumi provider's size per resource: every Webhook's state carries the provider
// text (`__provider`), so it is paid once per resource. Baseline: the smallest possible dynamic
// provider, serialized the same way.
import { dist, fmt, root, startOkReceiver } from "./lib.mjs";

export async function run() {
  const { serializeProvider, startPulumiHost, urnOf, outputsOf } = dist("pulumi/dynamic-provider-host.js");
  const { webhookProvider, WEBHOOK_TYPE } = dist("pulumi/index.js");
  const { startEmulator } = dist("emulator/index.js");
  const ours = await serializeProvider(webhookProvider);
  const minimal = await serializeProvider({ async create(inputs) { return { id: "1", outs: inputs }; } });

  // A real resource's whole state, as the engine stores it after a create.
  const emulator = await startEmulator({ port: 0 });
  const receiver = await startOkReceiver();
  const { TUCO_API_KEY: _k, TUCO_API_URL: _u, ...env } = process.env;
  const host = await startPulumiHost({ providerText: ours, project: "bench", env, cwd: root });
  let state;
  try {
    await host.configure({ "tuco:apiKey": "tuco_sk_bench_size", "tuco:apiUrl": emulator.url });
    const urn = urnOf(WEBHOOK_TYPE, "crm", "bench", "bench");
    const { inputs } = await host.check(urn, {}, { url: `${receiver.url}/crm`, events: ["message.sent", "message.reply"], name: "crm", description: "All message events", isActive: true, healthCheck: "fail", adoptId: null });
    const { properties } = await host.create(urn, inputs);
    state = { provider: Buffer.byteLength(JSON.stringify(properties.__provider ?? ours)), outputs: Buffer.byteLength(JSON.stringify(outputsOf(properties))) };
  } finally {
    await host.close();
    await receiver.close();
    await emulator.close();
  }
  const bytes = Buffer.byteLength(ours);
  const floor = Buffer.byteLength(minimal);
  return {
    title: "Serialized Pulumi provider, per resource",
    rows: [
      ["`webhookProvider` serialized (`__provider` in each resource's state)", `${bytes} B`, `${Buffer.byteLength(minimal)} B (a one-method provider serialized the same way)`, fmt(bytes / floor, 2)],
      ["a Webhook's whole state (outputs + `__provider`, JSON)", `${state.outputs + state.provider} B`, `${state.outputs} B (its outputs alone)`, fmt((state.outputs + state.provider) / state.outputs, 2)],
    ],
    note: "The provider captures no module: each method `require`s the compiled engine at run time (src/pulumi/provider.ts), so the text is seven small delegating methods plus the loader, and refresh/destroy run the installed engine rather than a copy frozen in state. Its ratio to the one-method floor is the price of seven methods and the fallback path; no API key is captured.",
  };
}
