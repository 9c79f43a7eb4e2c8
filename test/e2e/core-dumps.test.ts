/**
 * A core dump of a process that holds the webhook secret and the API key contains neither: the CLI
 * (before it reads either) and the Pulumi provider's runtime (when the dynamic-provider host loads
 * it) leave their process's memory out of core dumps (/proc/self/coredump_filter). Checked with
 * gdb's gcore, which honours that filter as the kernel does: on a CLI stopped while it holds both
 * (its secret sealed to the temporary file, the rename not yet done), and on the real Pulumi host
 * after a create. A plain node process's dump shows the check can fail.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freshKey, startCliFixture, type CliFixture } from "../cli/helpers";
import { ageDecrypt } from "../helpers/age";
import { freshInstance } from "../helpers/markers";
import { mergeEnv, pauseAt, runSync, start, startCli } from "../helpers/process";
import { expectNoLeaks, scanForLeaks } from "../helpers/secret-scan";
import { WEBHOOK_TYPE, webhookProvider } from "../../src/pulumi";
import { assertDistIsFresh, envWithoutTuco } from "../helpers/pulumi-fixtures";
import { outputsOf, serializeProvider, startPulumiHost, urnOf } from "../helpers/pulumi-host";

let fixture: CliFixture;
let cores: string;
beforeAll(async () => {
  fixture = await startCliFixture("tuco-core-");
  cores = await mkdtemp(join(tmpdir(), "tuco-cores-"));
});
afterAll(async () => {
  await fixture?.close();
  if (cores) await rm(cores, { recursive: true, force: true });
});

describe("a core dump of the CLI", () => {
  test("of a node process that sets no filter holds the strings it keeps: this check can fail", async () => {
    expect(runSync("sh", ["-c", "command -v gcore"]).code, "gcore (Debian package gdb) is needed to dump a running process's core").toBe(0);
    const needle = `kept-in-memory-${Math.random().toString(36).slice(2)}`;
    const holder = start(process.execPath, ["-e", `globalThis.kept = [${JSON.stringify(needle.slice(0, 8))}, ${JSON.stringify(needle.slice(8))}].join(""); console.log("ready"); setInterval(() => {}, 1 << 30);`]);
    try {
      await holder.waitFor(/ready/);
      const dumped = runSync("gcore", ["-o", join(cores, "plain"), String(holder.pid)]);
      expect(dumped.code, dumped.stderr).toBe(0);
      expect(scanForLeaks([{ label: "kept string", value: needle }], [{ name: "core dump", file: join(cores, `plain.${holder.pid}`) }]).leaks.length).toBeGreaterThan(0);
    } finally {
      await holder.kill();
      await rm(join(cores, `plain.${holder.pid}`), { force: true });
    }
  });


  test("taken while it holds the new secret and the API key, contains neither", async () => {
    expect(runSync("sh", ["-c", "command -v gcore"]).code, "gcore (Debian package gdb) is needed to dump a running CLI's core").toBe(0);
    const apiKey = freshKey();
    const { emulator, receiver, dir, alice } = fixture;
    const spec = { stack: "prod", key: "core", name: "core", url: `${receiver.url}/core`, events: ["message.sent"], seal: { recipients: [alice.recipient], path: join(dir, "core", "core.age") } };
    const env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: apiKey, TUCO_STACK_INSTANCE: freshInstance() };
    const run = startCli(["apply", "--spec", JSON.stringify(spec)], mergeEnv(env, pauseAt("before rename .age")));
    try {
      await run.waitFor(/tuco-test-pause: /);
      const [temp] = (await readdir(dirname(spec.seal.path))).filter((f) => f.endsWith(".tmp"));
      const secret = ageDecrypt(join(dirname(spec.seal.path), temp), alice.identityFile);
      const dumped = runSync("gcore", ["-o", join(cores, "cli"), String(run.pid)]);
      expect(dumped.code, dumped.stderr).toBe(0);
      const report = expectNoLeaks([{ label: "webhook secret", value: secret }, { label: "API key", value: apiKey }], [{ name: "core dump", dir: cores }]);
      expect(report.artifacts).toEqual([`core dump/cli.${run.pid}`]);
    } finally {
      await run.kill();
    }
  });

  test("of the Pulumi dynamic-provider host, after a create, contains neither the new secret nor the API key", async () => {
    expect(runSync("sh", ["-c", "command -v gcore"]).code, "gcore (Debian package gdb) is needed to dump a running process's core").toBe(0);
    assertDistIsFresh();
    const apiKey = freshKey();
    const host = await startPulumiHost({ providerText: await serializeProvider(webhookProvider), env: envWithoutTuco() });
    try {
      await host.configure({ "tuco:apiKey": apiKey, "tuco:apiUrl": fixture.emulator.url });
      const news = { url: `${fixture.receiver.url}/pulumi-core`, events: ["message.sent"], name: "pulumi-core", healthCheck: "skip" };
      const { inputs } = await host.check(urnOf(WEBHOOK_TYPE, "core"), {}, news);
      const created = await host.create(urnOf(WEBHOOK_TYPE, "core"), inputs);
      const secret = String(outputsOf(created.properties).secret);
      expect(secret).toMatch(/^\S{20,}$/);
      const dumped = runSync("gcore", ["-o", join(cores, "pulumi-host"), String(host.pid)]);
      expect(dumped.code, dumped.stderr).toBe(0);
      const report = expectNoLeaks([{ label: "webhook secret", value: secret }, { label: "API key", value: apiKey }], [{ name: "core dump", file: join(cores, `pulumi-host.${host.pid}`) }]);
      expect(report.bytes).toBeGreaterThan(0);
    } finally {
      await host.close();
    }
  });
});
