/**
 * The package as a CONSUMER gets it: one `npm pack`, the tarball unpacked into a consumer
 * project's node_modules, its dependencies linked from this repository's node_modules (no registry
 * needed), and its `bin` linked by npm itself (`npm rebuild --offline`). Checked here: every entry
 * point of `exports` loads from CommonJS and from ESM (static named imports), `npx tuco-webhooks`
 * runs the packed CLI and its emulator, and the provider serialized by the consumer runs in the
 * host loading the engine through the package's `exports`.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TucoClient } from "../../src/api/client";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { WEBHOOK_TYPE } from "../../src/pulumi";
import { checkExit, run as runProcess, type Env } from "../helpers/process";
import { assertDistIsFresh, ROOT, envWithoutTuco } from "../helpers/pulumi-fixtures";
import { startPulumiHost, urnOf } from "../helpers/pulumi-host";
import { startReceiver, type TestReceiver } from "../helpers/receiver";
import { api as callEmulator } from "../emulator/helpers";

/** Runs to exit 0 (throws with what it printed otherwise), in `cwd`, with this process's environment unless `env` is given. */
const run = async (command: string, args: string[], { cwd, env = process.env }: { cwd?: string; env?: Env } = {}) => checkExit(await runProcess(command, args, env, { cwd }));
const KEY = "tuco_sk_pulumi_package_c0de";

let work: string;
let consumer: string;
let emulator: RunningEmulator;
let receiver: TestReceiver;
let api: TucoClient;

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
  // npm links the package's bin into node_modules/.bin from the packed package.json, as `npm install` does.
  await run("npm", ["rebuild", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "tuco-webhooks"], { cwd: consumer });
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
    expect(stderr).toContain(path.join(consumer, "node_modules", "tuco-webhooks", "dist", "pulumi", "provider.js"));
    // The provider is the module `tuco-webhooks/pulumi/engine` itself: Pulumi writes one require of it into each state,
    // by that name, or (when @pulumi/pulumi cannot resolve this package itself, as in this linked project or under
    // pnpm) by its file, which the package exports too.
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1536);
    expect(text).toMatch(/require\("tuco-webhooks\/(pulumi\/engine|dist\/pulumi\/provider\.js)"\)/);
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

/** Each entry point of `exports` the issue names, with named exports a consumer imports from it. */
const ENTRY_POINTS: Record<string, string[]> = {
  "tuco-webhooks": ["TucoClient", "TucoError", "TucoNotFoundError", "verifyTucoSignature", "WEBHOOK_EVENTS"],
  "tuco-webhooks/pulumi": ["Webhook", "webhookProvider", "WEBHOOK_TYPE"],
  "tuco-webhooks/cdktf": ["TucoWebhook", "TucoWebhookPrune", "readSynthesizedStack"],
  "tuco-webhooks/emulator": ["startEmulator", "EmulatorControl"],
  "tuco-webhooks/secrets": ["sealSecret", "openSealedSecret"],
  "tuco-webhooks/receiver": ["verifyTucoSignature", "tucoWebhookHandler"],
  "tuco-webhooks/cdktn": ["TucoWebhook", "TucoWebhookPrune", "readSynthesizedStack"],
  "tuco-webhooks/testing": ["deployPulumiProgram", "startPulumiHost", "serializeProvider"],
};

describe("the packed tarball in a consumer project", () => {
  it("ships an existing file for every path in exports, types included, and npm links its bin to the CLI", () => {
    const pkg = JSON.parse(readFileSync(path.join(consumer, "node_modules", "tuco-webhooks", "package.json"), "utf8")) as {
      exports: Record<string, string | Record<string, string>>;
      bin: Record<string, string>;
    };
    const files = Object.values(pkg.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e)));
    const missing = files.filter((f) => !existsSync(path.join(consumer, "node_modules", "tuco-webhooks", f)));
    expect(missing).toEqual([]);
    expect(realpathSync(path.join(consumer, "node_modules", ".bin", "tuco-webhooks"))).toBe(path.join(consumer, "node_modules", "tuco-webhooks", pkg.bin["tuco-webhooks"].replace(/^\.\//, "")));
  });

  it("ships a source map only with what it maps: every map's sources are in the map (sourcesContent) or in the tarball", () => {
    const installed = path.join(consumer, "node_modules", "tuco-webhooks");
    const maps: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(path.join(dir, entry.name));
        else if (entry.name.endsWith(".map")) maps.push(path.join(dir, entry.name));
      }
    };
    walk(installed);
    const unmapped = maps.flatMap((map) => {
      const { sources, sourcesContent } = JSON.parse(readFileSync(map, "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
      return sources.filter((source, i) => typeof sourcesContent?.[i] !== "string" && !existsSync(path.resolve(path.dirname(map), source))).map((source) => `${path.relative(installed, map)} -> ${source}`);
    });
    expect(unmapped).toEqual([]);
    // And no compiled file points at a map that is not there.
    const dangling: string[] = [];
    const scan = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) scan(file);
        else if (entry.name.endsWith(".js")) {
          const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(file, "utf8"))?.[1];
          if (ref && !ref.startsWith("data:") && !existsSync(path.resolve(dir, ref))) dangling.push(path.relative(installed, file));
        }
      }
    };
    scan(path.join(installed, "dist"));
    expect(dangling).toEqual([]);
  });

  it("loads every entry point with require from CommonJS, from the installed copy", async () => {
    const script = `
      const names = ${JSON.stringify(ENTRY_POINTS)};
      const out = {};
      for (const [entry, exported] of Object.entries(names)) {
        const m = require(entry);
        out[entry] = { file: require.resolve(entry), types: exported.map((n) => typeof m[n]) };
      }
      process.stdout.write(JSON.stringify(out));
    `;
    const { stdout } = await run(process.execPath, ["-e", script], { cwd: consumer });
    const loaded = JSON.parse(stdout) as Record<string, { file: string; types: string[] }>;
    for (const [entry, exported] of Object.entries(ENTRY_POINTS)) {
      expect(loaded[entry].file.startsWith(path.join(consumer, "node_modules", "tuco-webhooks", "dist") + path.sep), entry).toBe(true);
      expect(loaded[entry].types, entry).toEqual(exported.map(() => expect.stringMatching(/^(function|object|string)$/)));
    }
  });

  it("loads every entry point from ESM with static named imports", async () => {
    const lines = Object.entries(ENTRY_POINTS).map(([entry, names], i) => `import { ${names.map((n) => `${n} as e${i}_${n}`).join(", ")} } from "${entry}";`);
    const all = Object.entries(ENTRY_POINTS).flatMap(([entry, names], i) => names.map((n) => `[${JSON.stringify(`${entry}#${n}`)}, typeof e${i}_${n}]`));
    writeFileSync(path.join(consumer, "esm-consumer.mjs"), `${lines.join("\n")}\nprocess.stdout.write(JSON.stringify(Object.fromEntries([${all.join(", ")}])));\n`);
    const { stdout } = await run(process.execPath, ["esm-consumer.mjs"], { cwd: consumer });
    const types = JSON.parse(stdout) as Record<string, string>;
    const expected = Object.fromEntries(Object.entries(ENTRY_POINTS).flatMap(([entry, names]) => names.map((n) => [`${entry}#${n}`, expect.stringMatching(/^(function|object|string)$/)])));
    expect(types).toEqual(expected);
  });

  it("runs the packed CLI with npx: --help exits 0", async () => {
    const { stdout } = await run("npx", ["--offline", "tuco-webhooks", "--help"], { cwd: consumer });
    expect(stdout).toContain("Usage: tuco-webhooks <command>");
    expect(stdout).toContain("emulator");
  });

  it("runs `npx tuco-webhooks emulator --port 0`: the URL first on stdout, the contract answered, SIGTERM stops it", async () => {
    // Its own process group, so the signal reaches npm, its shell and the emulator, as Ctrl-C in a terminal does.
    const child = spawn("npx", ["--offline", "tuco-webhooks", "emulator", "--port", "0"], { cwd: consumer, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = once(child, "exit");
    try {
      const lines = createInterface({ input: child.stdout });
      const [url] = (await once(lines, "line")) as [string];
      lines.close();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const r = await callEmulator(url, "GET", "/api/webhooks", { key: "tuco_sk_npx_consumer" });
      expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: { webhooks: [] } });
      const unauthorized = await callEmulator(url, "GET", "/api/webhooks", { key: null });
      expect({ status: unauthorized.status, body: unauthorized.body }).toEqual({ status: 401, body: { error: "Unauthorized" } });
      process.kill(-child.pid!, "SIGTERM");
      await exited;
      expect(stderr).toContain("SIGTERM received, closing");
      await expect(callEmulator(url, "GET", "/api/webhooks", { key: "tuco_sk_npx_consumer" })).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
    }
  });
});
