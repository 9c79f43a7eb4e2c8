// The serialized Pulumi provider's size per resource: every Webhook's state carries the provider
// text (`__provider`), so it is paid once per resource. Serialized where users serialize it: in a
// consumer project with the packed tarball installed under node_modules (a checkout serializes the
// methods by value instead, see src/pulumi/provider.ts). Baselines: the smallest possible dynamic
// provider, serialized the same way, and the resource's outputs alone.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dist, fmt, root, runNode, startOkReceiver } from "./lib.mjs";

/** A project whose node_modules holds the packed package (a real copy) and, by link, what it depends on. */
function consumerProject() {
  const dir = mkdtempSync(`${tmpdir()}/tuco-bench-consumer-`);
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: root, encoding: "utf8" }).trim().split("\n").pop();
  const installed = `${dir}/node_modules/tuco-webhooks`;
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", `${dir}/${tarball}`, "-C", installed, "--strip-components=1"]);
  for (const entry of readdirSync(`${root}node_modules`)) {
    if (entry.startsWith(".") || entry === "tuco-webhooks") continue;
    symlinkSync(`${root}node_modules/${entry}`, `${dir}/node_modules/${entry}`);
  }
  return { dir, installed };
}

export async function run() {
  const { startPulumiHost, urnOf, outputsOf } = dist("pulumi/dynamic-provider-host.js");
  const { WEBHOOK_TYPE } = dist("pulumi/index.js");
  const { startEmulator } = dist("emulator/index.js");
  const consumer = consumerProject();
  const emulator = await startEmulator({ port: 0 });
  const receiver = await startOkReceiver();
  let m;
  try {
    const serialize = (provider) => `const { serializeProvider } = require(${JSON.stringify(`${consumer.installed}/dist/pulumi/dynamic-provider-host.js`)});
      serializeProvider(${provider}).then((text) => process.stdout.write(text));`;
    const text = async (provider) => {
      const r = await runNode(["-e", serialize(provider)], {}, consumer.dir);
      if (r.code !== 0) throw new Error(`serializing ${provider} in the consumer project failed: ${r.stderr}`);
      return r.stdout;
    };
    const ours = await text(`require("tuco-webhooks/pulumi").webhookProvider`);
    if (!/require\("tuco-webhooks\//.test(ours)) throw new Error(`the provider was not serialized as a require of the installed package:\n${ours}`);
    const minimal = await text(`{ async create(inputs) { return { id: "1", outs: inputs }; } }`);

    // A real resource's whole state, as the engine stores it after a create, with the host in the consumer project.
    const { TUCO_API_KEY: _k, TUCO_API_URL: _u, ...env } = process.env;
    const host = await startPulumiHost({ providerText: ours, project: "bench", env, cwd: consumer.dir });
    try {
      await host.configure({ "tuco:apiKey": "tuco_sk_bench_size", "tuco:apiUrl": emulator.url });
      const urn = urnOf(WEBHOOK_TYPE, "crm", "bench", "bench");
      const { inputs } = await host.check(urn, {}, { url: `${receiver.url}/crm`, events: ["message.sent", "message.reply"], name: "crm", description: "All message events", isActive: true, healthCheck: "fail", adoptId: null });
      const { properties } = await host.create(urn, inputs);
      if (typeof properties.__provider !== "string") throw new Error("the created resource's state holds no __provider");
      m = { ours, minimal, provider: Buffer.byteLength(JSON.stringify(properties.__provider)), outputs: Buffer.byteLength(JSON.stringify(outputsOf(properties))) };
    } finally {
      await host.close();
    }
  } finally {
    await receiver.close();
    await emulator.close();
    rmSync(consumer.dir, { recursive: true, force: true });
  }
  const bytes = Buffer.byteLength(m.ours);
  const floor = Buffer.byteLength(m.minimal);
  return {
    title: "Serialized Pulumi provider, per resource (in a project that installed the package)",
    rows: [
      ["`webhookProvider` serialized (`__provider` in each resource's state)", `${bytes} B`, `${floor} B (a one-method provider serialized the same way); target <= 1536 B`, fmt(bytes / floor, 2)],
      ["a Webhook's whole state (outputs + `__provider`, JSON)", `${m.outputs + m.provider} B`, `${m.outputs} B (its outputs alone)`, fmt((m.outputs + m.provider) / m.outputs, 2)],
    ],
    note: [
      "The provider is a module whose exports are its methods (src/pulumi/provider.ts), so Pulumi serializes it as one `require` of the",
      "installed file (`tuco-webhooks/dist/pulumi/provider.js`, also exported as `tuco-webhooks/pulumi/engine`) instead of the methods' text:",
      "no code and no credentials in state, and `refresh` and `destroy` run the installed provider rather than a copy frozen in state.",
      "It is smaller than the one-method floor, which carries its method's text. Before this change it was 2983 B, the methods by value.",
    ].join(" "),
  };
}
