/**
 * `npm start` (node dist/demo/main.js) as a newcomer runs it: exit 0, the five step lines, no
 * secret or API key in the output; and the refusal against a non-emulator TUCO_API_URL, which
 * must not send it a single request. Runs the built demo (`npm test` builds first).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorControl, startEmulator } from "../src/emulator";
import { run, type ProcessRun } from "./helpers/process";
import { ProcessRecorder } from "./helpers/process-recorder";
import { expectNoLeaks, type Needle } from "./helpers/secret-scan";
import { startReceiver, type TestReceiver } from "./helpers/receiver";
import { startSecretRecorder } from "./helpers/secret-recorder";
import { api } from "./emulator/helpers";

const ROOT = path.resolve(__dirname, "..");
const DEMO = path.join(ROOT, "dist", "demo", "main.js");

function runDemo(args: string[], env: NodeJS.ProcessEnv): Promise<ProcessRun> {
  return run(process.execPath, [DEMO, ...args], env, { cwd: ROOT });
}

/** Every base64 / long-hex / key-looking token: a secret would be one of these. */
function secretLike(text: string): string[] {
  return [...text.matchAll(/tuco_sk_[A-Za-z0-9_]+|AGE-SECRET-KEY-1[0-9A-Z]+|[A-Za-z0-9+/]{40,}={0,2}/g)].map((m) => m[0]);
}

describe("npm start: the demo", () => {
  const { TUCO_API_URL: _u, TUCO_API_KEY: _k, ...cleanEnv } = process.env;

  it("runs all five steps on the embedded emulator, exits 0, and never prints a secret or the API key", { timeout: 120_000 }, async () => {
    const run = await runDemo([], cleanEnv);
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(0);
    for (const [i, what] of ["deploy", "show each webhook", "fire real message events", "change webhooks outside the tools", "destroy"].entries()) {
      expect(output).toMatch(new RegExp(`^\\[${i + 1}/5\\] ${what}`, "m"));
    }
    expect(output.match(/^ {6}ok \(/gm)).toHaveLength(5);
    expect(output).toMatch(/13 deliveries, all succeeded and verified/);
    expect(output).toMatch(/tuco-webhooks drift: exit 2/);
    expect(output).toMatch(/GET \/api\/webhooks -> 0 webhooks left/);
    expect(output).toMatch(/^demo complete/m);
    // Fingerprints only: no key, no age identity, no base64 secret (32 random bytes = 44 chars).
    expect(secretLike(output)).toEqual([]);
    expect(output).toMatch(/secret sha256:[0-9a-f]{8}/);
  });

  it("without terraform on PATH says so plainly, runs the provisioners' own commands instead, and still exits 0", { timeout: 120_000 }, async () => {
    // PATH without any directory holding terraform, plus one holding only `node` (the provisioner commands run `node ...`).
    const nodeDir = fs.mkdtempSync(path.join(os.tmpdir(), "tuco-demo-node-"));
    fs.symlinkSync(process.execPath, path.join(nodeDir, "node"));
    const dirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d !== "" && !fs.existsSync(path.join(d, "terraform")));
    try {
      const run = await runDemo([], { ...cleanEnv, PATH: [nodeDir, ...dirs].join(path.delimiter) });
      const output = run.stdout + run.stderr;
      expect(run.code, output).toBe(0);
      expect(output).toMatch(/terraform is NOT on PATH, so terraform itself did not run/);
      expect(output).toMatch(/ran the 4 create-time provisioner commands/);
      expect(output).toMatch(/ran the 5 destroy-time provisioner commands \(prune --keep '', delete per webhook, then the stack instance's sweep\)/);
      expect(output).toMatch(/GET \/api\/webhooks -> 0 webhooks left/);
      expect(secretLike(output)).toEqual([]);
    } finally {
      fs.rmSync(nodeDir, { recursive: true, force: true });
    }
  });

  it("pointed at an emulator with the flag, never shows the API key or any secret it minted, in any encoding, in its output, argv or environment", { timeout: 120_000 }, async () => {
    const emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 5000 });
    const proxy = await startSecretRecorder(emulator.url);
    const procs = ProcessRecorder.create();
    const key = `tuco_sk_demo_scan_${Date.now().toString(36)}_0123456789`;
    try {
      const run = await runDemo(["--i-know-this-creates-and-deletes-webhooks"], { ...cleanEnv, TUCO_API_URL: proxy.url, TUCO_API_KEY: key, ...procs.env() });
      const output = run.stdout + run.stderr;
      expect(run.code, output).toBe(0);
      expect(output).toMatch(/^demo complete/m);
      // Every webhook the demo made was minted through the proxy: one secret per successful create.
      const creates = (await new EmulatorControl(emulator.url).requests()).filter((r) => r.method === "POST" && r.path === "/api/webhooks" && r.status === 201);
      expect(creates.length).toBeGreaterThanOrEqual(4);
      expect(proxy.secrets).toHaveLength(creates.length);
      // Recorded: the demo and the Pulumi host (preload), what the demo spawned (terraform, the CLI), and the CLI
      // runs of terraform's provisioners (the node shim on PATH; the demo gives its tools a clean environment).
      const node = procs.nodeProcesses();
      expect(node.some((p) => p.argv[1] === DEMO)).toBe(true);
      expect(node.some((p) => /dynamic-provider/.test(p.argv[1] ?? ""))).toBe(true);
      expect(procs.spawns().some((s) => /terraform$/.test(s.command) && s.args.some((a) => a === "apply"))).toBe(true);
      expect(procs.shimRuns().filter((r) => r.argv[2] === "apply").length).toBeGreaterThanOrEqual(1);
      // The demo hands its tools the key through the environment: TUCO_API_KEY, and nothing else.
      const tools = procs.spawns().filter((s) => s.env !== null && (/terraform$/.test(s.command) || s.args[0] === path.join(ROOT, "dist", "cli", "main.js")));
      expect(tools.length).toBeGreaterThanOrEqual(3);
      for (const t of tools) expect(t.env?.TUCO_API_KEY, `${t.command} ${t.args.join(" ")}`).toBe(key);
      const secrets: Needle[] = proxy.secrets.map((value, i) => ({ label: `webhook secret #${i + 1}`, value }));
      expectNoLeaks(
        [{ label: "API key", value: key }, ...secrets],
        [{ name: "demo stdout", text: run.stdout }, { name: "demo stderr", text: run.stderr }, ...procs.argvArtifacts(), ...procs.envArtifacts(["TUCO_API_KEY"])],
      );
      expectNoLeaks(secrets, procs.envArtifactsOf(["TUCO_API_KEY"]));
    } finally {
      procs.dispose();
      await proxy.close();
      await emulator.close();
    }
  });

  it("fails a step that does not do what it claims: names the step, removes what it made, exits 1", { timeout: 120_000 }, async () => {
    const emulator = await startEmulator({ port: 0 });
    const key = "tuco_sk_demo_failing_step";
    try {
      // The first create is refused (402): the Pulumi program's other webhook is created before the step fails.
      await new EmulatorControl(emulator.url).addFault({ kind: "status", method: "POST", path: "/api/webhooks", status: 402, body: { error: "READ_ONLY", code: "READ_ONLY", reason: "past_due" } });
      const run = await runDemo(["--i-know-this-creates-and-deletes-webhooks"], { ...cleanEnv, TUCO_API_URL: emulator.url, TUCO_API_KEY: key });
      const output = run.stdout + run.stderr;
      expect(run.code, output).toBe(1);
      expect(output).toMatch(/^FAILED at step 1\/5 \(deploy\): pulumi: creating Webhook \S+ failed: .*402: READ_ONLY/m);
      expect(output).toMatch(/^clean-up: removed what the demo had made$/m);
      expect(output).toMatch(/^demo FAILED \(exit 1\)$/m);
      expect(output).not.toMatch(/^\[2\/5\]/m);
      expect(output).not.toContain("Node.js v");
      expect(secretLike(output)).toEqual([]);
      const left = await api(emulator.url, "GET", "/api/webhooks", { key });
      expect(left.body).toEqual({ webhooks: [] });
    } finally {
      await emulator.close();
    }
  });

  describe("pointed at a non-emulator TUCO_API_URL", () => {
    let server: TestReceiver;
    beforeAll(async () => {
      server = await startReceiver({ status: 500, body: "" });
    });
    afterAll(() => server.close());

    it("refuses without the explicit flag, exits 1, and sends it nothing", async () => {
      const key = "tuco_sk_realworkspacekey_0123456789";
      const run = await runDemo([], { ...cleanEnv, TUCO_API_URL: server.origin, TUCO_API_KEY: key });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/REFUSING to run: TUCO_API_URL is set/);
      expect(run.stdout).toContain("--i-know-this-creates-and-deletes-webhooks");
      expect(run.stdout + run.stderr).not.toContain(key);
      expect(run.stdout).not.toMatch(/^\[1\/5\]/m);
      expect(server.received.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    });
  });
});
