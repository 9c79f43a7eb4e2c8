/**
 * The provider serialized by a CONSUMER that installed the `npm pack` tarball: the serializer then
 * sees the package under node_modules, and the host must load the engine through the package's
 * `exports`. Dependencies are linked from this repository's node_modules (no registry needed);
 * tuco-webhooks itself is a real copy unpacked from the tarball.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TucoClient } from "../../src/api/client";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { WEBHOOK_TYPE } from "../../src/pulumi";
import { assertDistIsFresh, ROOT } from "../helpers/pulumi-fixtures";
import { startPulumiHost, urnOf } from "../helpers/pulumi-host";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

const run = promisify(execFile);
const KEY = "tuco_sk_pulumi_package_c0de";

let work: string;
let consumer: string;
let emulator: RunningEmulator;
let receiver: TestReceiver;
let api: TucoClient;

function envWithoutTuco(): NodeJS.ProcessEnv {
  const { TUCO_API_KEY: _k, TUCO_API_URL: _u, ...rest } = process.env;
  return rest;
}

beforeAll(async () => {
  assertDistIsFresh();
  work = mkdtempSync(path.join(tmpdir(), "tuco-pulumi-pack-"));
  await run("npm", ["pack", "--silent", "--pack-destination", work], { cwd: ROOT });
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
  consumer = path.join(work, "consumer");
  const installed = path.join(consumer, "node_modules", "tuco-webhooks");
  mkdirSync(installed, { recursive: true });
  await run("tar", ["-xzf", path.join(work, tarball), "-C", installed, "--strip-components=1"]);
  for (const dep of readdirSync(path.join(ROOT, "node_modules"))) {
    if (dep === ".bin" || dep === ".package-lock.json") continue;
    symlinkSync(path.join(ROOT, "node_modules", dep), path.join(consumer, "node_modules", dep));
  }
  writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, dependencies: { "tuco-webhooks": `file:../${tarball}` } }));
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 2000 });
  api = new TucoClient({ apiKey: KEY, apiUrl: emulator.url, retry: { retries: 0 } });
  receiver = await startReceiver(200);
}, 60_000);

afterAll(async () => {
  await api?.close();
  await receiver?.close();
  await emulator?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("webhookProvider serialized from a project that installed the package tarball", () => {
  it("stays small, captures no credentials, and runs through the host loading the engine via the package exports", async () => {
    const script = `
      const pulumi = require("@pulumi/pulumi");
      const { webhookProvider } = require("tuco-webhooks/pulumi");
      console.error(require.resolve("tuco-webhooks/pulumi/engine"));
      pulumi.runtime.serializeFunction(() => webhookProvider, { allowSecrets: true }).then((sf) => process.stdout.write(sf.text));
    `;
    const { stdout: text, stderr } = await run(process.execPath, ["-e", script], { cwd: consumer, env: { ...process.env, TUCO_API_KEY: KEY } });
    expect(stderr).toContain(path.join(consumer, "node_modules", "tuco-webhooks", "dist", "pulumi", "engine.js"));
    expect(Buffer.byteLength(text)).toBeLessThan(4096);
    expect(text).toContain('require("tuco-webhooks/pulumi/engine")');
    expect(text).not.toContain(KEY);

    const host = await startPulumiHost({ providerText: text, cwd: consumer, env: envWithoutTuco() });
    try {
      await host.configure({ "tuco:apiKey": KEY, "tuco:apiUrl": emulator.url });
      const urn = urnOf(WEBHOOK_TYPE, "packaged");
      const { inputs, failures } = await host.check(urn, {}, { url: receiver.url, events: ["message.sent"], name: "packaged" });
      expect(failures).toEqual([]);
      const { id, properties } = await host.create(urn, inputs);
      expect(properties.lastHealthCheck).toMatchObject({ success: true });
      expect((await host.read(id, urn, properties)).id).toBe(id);
      await host.delete(id, urn, properties);
      expect(await api.list()).toEqual([]);
    } finally {
      await host.close();
    }
  });
});
