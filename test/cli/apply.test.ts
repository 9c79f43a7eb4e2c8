import { createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { freshKey, listWebhooks, requestsOf, seedWebhook, writes } from "./helpers";
import { ageDecrypt, ageKeypair, requireAgeBinary, type AgeKeypair } from "../helpers/age";
import { type ProcessRun, requireBuiltCli, runCli } from "../helpers/process";
import { startReceiver, type TestReceiver } from "../helpers/receiver";
import { freshInstance, ownedDescription, seedOwned } from "../helpers/markers";
import { expectNoLeaks } from "../helpers/secret-scan";
import { TucoClient } from "../../src/api/client";

/** The stack instance the provisioners would get from Terraform's state. */
const INSTANCE = freshInstance();
const owner = (key: string) => ({ stack: "prod", key, instance: INSTANCE });

let emulator: RunningEmulator;
let control: EmulatorControl;
let receiver: TestReceiver;
let failing: TestReceiver;
let dir: string;
let alice: AgeKeypair & { identityFile: string };

beforeAll(async () => {
  requireBuiltCli();
  requireAgeBinary();
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 2000 });
  control = new EmulatorControl(emulator.url);
  receiver = await startReceiver(200);
  failing = await startReceiver(500);
  dir = await mkdtemp(join(tmpdir(), "tuco-cli-apply-"));
  alice = ageKeypair(dir, "alice.txt");
});

afterAll(async () => {
  await emulator?.close();
  await receiver?.close();
  await failing?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function specFor(name: string, overrides: Record<string, unknown> = {}) {
  return {
    stack: "prod",
    key: name,
    name,
    url: receiver.url,
    events: ["message.sent"],
    seal: { recipients: [alice.recipient], path: join(dir, "sealed", `${name}.age`) },
    ...overrides,
  };
}

function apply(apiKey: string, spec: unknown, extra: string[] = []): Promise<ProcessRun> {
  return runCli(["apply", "--spec", JSON.stringify(spec), "--json", ...extra], { TUCO_API_URL: emulator.url, TUCO_API_KEY: apiKey, TUCO_STACK_INSTANCE: INSTANCE });
}

/** Asserts that no output or argv of a run shows the secret or the API key, in plain text or encoded (test/helpers/secret-scan.ts). */
function expectNothingLeaked(run: ProcessRun, ...secrets: string[]): void {
  expectNoLeaks(
    secrets.map((value, i) => ({ label: `secret #${i + 1}`, value })),
    [
      { name: "stdout", text: run.stdout },
      { name: "stderr", text: run.stderr },
      { name: "argv", text: run.argv.join(" ") },
    ],
  );
}

describe("apply", () => {
  test("creates a webhook, seals its secret for the real age binary and secret open, and re-applying changes nothing but health-checks again", async () => {
    const key = freshKey();
    const spec = specFor("crm", { description: "CRM sync" });
    const first = await apply(key, spec);
    expect(first.stderr).toContain("created webhook");
    expect(first.code).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result).toMatchObject({ action: "created", changed: [], sealedSecretPath: spec.seal.path, lastHealthCheck: { success: true, skipped: false, statusCode: 200, error: "" } });

    const [live] = await listWebhooks(emulator.url, key);
    expect(live.id).toBe(result.id);
    // Confirmed: the marker names this stack instance and the webhook's own id.
    expect(live.description).toBe(ownedDescription("CRM sync", owner("crm"), result.id));

    // The sealed file opens with the real age CLI, and holds the very secret Tuco signs pings with.
    expect((await stat(spec.seal.path)).mode & 0o777).toBe(0o600);
    const secret = ageDecrypt(spec.seal.path, alice.identityFile);
    const ping = receiver.received.at(-1)!;
    expect(createHmac("sha256", secret).update(ping.rawBody).digest("hex")).toBe(ping.signature);
    const opened = await runCli(["secret", "open", spec.seal.path, "--identity", alice.identityFile]);
    expect(opened.code).toBe(0);
    expect(opened.stdout).toBe(secret);

    const sealedText = await readFile(spec.seal.path, "utf8");
    expect(sealedText).not.toContain(secret);
    expect(sealedText).not.toContain(key);
    expectNothingLeaked(first, secret, key);

    const before = (await requestsOf(control, key)).length;
    const second = await apply(key, spec);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ action: "unchanged", id: result.id, changed: [], sealedSecretPath: null, lastHealthCheck: { success: true, skipped: false, statusCode: 200 } });
    const log = (await requestsOf(control, key)).slice(before);
    // Terraform runs apply only to create, replace or re-run a tainted resource: the endpoint is checked again, the webhook left alone.
    expect(log.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/webhooks", `POST /api/webhooks/${result.id}/health-check`]);
    expectNothingLeaked(second, secret, key);
    // The sealed file is not rewritten when nothing was created.
    expect(ageDecrypt(spec.seal.path, alice.identityFile)).toBe(secret);
  });

  test("patches the same webhook with only the field that changed: url, events, isActive, description", async () => {
    const key = freshKey();
    const other = await startReceiver(200);
    try {
      const base = specFor("billing", { description: "first" });
      const created = JSON.parse((await apply(key, base)).stdout);
      const secretBefore = ageDecrypt(base.seal.path, alice.identityFile);
      const steps: [Record<string, unknown>, string, Record<string, unknown>][] = [
        [{ url: other.url }, "url", { url: other.url }],
        [{ url: other.url, events: ["message.failed", "message.sent"] }, "events", { events: ["message.failed", "message.sent"] }],
        [{ url: other.url, events: ["message.failed", "message.sent"], isActive: false }, "isActive", { isActive: false }],
        [{ url: other.url, events: ["message.sent", "message.failed"], isActive: false, description: "second" }, "description", { description: ownedDescription("second", owner("billing"), created.id) }],
      ];
      for (const [change, field, patchBody] of steps) {
        const before = (await requestsOf(control, key)).length;
        const run = await apply(key, { ...base, ...change });
        expect(run.code, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ action: "updated", id: created.id, changed: [field], sealedSecretPath: null });
        const log = writes((await requestsOf(control, key)).slice(before));
        expect(log.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /api/webhooks/${created.id}`, `POST /api/webhooks/${created.id}/health-check`]);
        expect(log[0].body).toEqual(patchBody);
      }
      const [live] = await listWebhooks(emulator.url, key);
      expect(live).toMatchObject({ id: created.id, url: other.url, isActive: false, description: ownedDescription("second", owner("billing"), created.id) });
      // Same webhook, same secret: the sealed file still opens to the secret that signs the pings.
      const ping = other.received.at(-1)!;
      expect(createHmac("sha256", secretBefore).update(ping.rawBody).digest("hex")).toBe(ping.signature);
      const before = (await requestsOf(control, key)).length;
      const again = await apply(key, { ...base, ...steps[3][0] });
      expect(JSON.parse(again.stdout).action).toBe("unchanged");
      // Nothing is patched; only the health-check ping goes out again.
      expect(writes((await requestsOf(control, key)).slice(before)).map((r) => `${r.method} ${r.path}`)).toEqual([`POST /api/webhooks/${created.id}/health-check`]);
    } finally {
      await other.close();
    }
  });

  test("without --json prints one line per action on stderr, the health-check's result included, and nothing on stdout", async () => {
    const key = freshKey();
    const env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: INSTANCE };
    const text = (spec: unknown) => runCli(["apply", "--spec", JSON.stringify(spec)], env);
    const lines = (run: ProcessRun) => {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe("");
      return run.stderr.trimEnd().split("\n");
    };
    const spec = specFor("text");
    const created = lines(await text(spec));
    const [live] = await listWebhooks(emulator.url, key);
    const id = live.id;
    expect(created).toEqual([
      `tuco-webhooks apply: created webhook ${id} ("text"), not yet confirmed: its secret is being sealed`,
      `tuco-webhooks apply: sealed its secret to ${spec.seal.path} for 1 recipient`,
      `tuco-webhooks apply: confirmed webhook ${id}: it now carries the marker of stack prod key text instance ${INSTANCE}`,
      `tuco-webhooks apply: health-check of webhook ${id} passed: ${receiver.url} answered the signed test ping with 200`,
    ]);
    expect(lines(await text(spec))).toEqual([
      `tuco-webhooks apply: webhook ${id} is in sync: nothing to change`,
      `tuco-webhooks apply: health-check of webhook ${id} passed: ${receiver.url} answered the signed test ping with 200`,
    ]);
    expect(lines(await text({ ...spec, events: ["message.sent", "message.failed"], isActive: false, healthCheck: "skip" }))).toEqual([
      `tuco-webhooks apply: updated webhook ${id}: events, isActive`,
      `tuco-webhooks apply: health-check of webhook ${id} skipped (health-check policy "skip")`,
    ]);
    const warned = lines(await text({ ...spec, url: failing.url, healthCheck: "warn" }));
    expect(warned).toHaveLength(2);
    expect(warned[0]).toBe(`tuco-webhooks apply: updated webhook ${id}: url, events, isActive`);
    expect(warned[1]).toMatch(new RegExp(`^tuco-webhooks apply: warning: Health-check of webhook ${id} failed: ${failing.url} did not answer the signed test ping with 2xx \\(HTTP 500\\)`));

    // A paused webhook is paused by the PATCH that confirms it: that line says so.
    const paused = specFor("text-paused", { isActive: false });
    const pausedLines = lines(await text(paused));
    const pausedId = (await listWebhooks(emulator.url, key)).find((w) => w.name === "text-paused")!.id;
    expect(pausedLines[2]).toBe(`tuco-webhooks apply: confirmed webhook ${pausedId} and paused it (isActive false): it now carries the marker of stack prod key text-paused instance ${INSTANCE}`);
    expect(pausedLines).toHaveLength(4);
  });

  test("reads the spec from TUCO_WEBHOOK_SPEC and from --spec-file", async () => {
    const key = freshKey();
    const spec = specFor("from-env");
    const env = await runCli(["apply", "--json"], { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: INSTANCE, TUCO_WEBHOOK_SPEC: JSON.stringify(spec) });
    expect(env.code, env.stderr).toBe(0);
    expect(JSON.parse(env.stdout).action).toBe("created");
    const file = join(dir, "spec.json");
    await writeFile(file, JSON.stringify(spec));
    const fromFile = await runCli(["apply", "--spec-file", file, "--json"], { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: INSTANCE });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(JSON.parse(fromFile.stdout).action).toBe("unchanged");
  });

  test("fails before any API request when no seal recipients are configured, saying how to configure them", async () => {
    const key = freshKey();
    for (const seal of [undefined, { recipients: [], path: join(dir, "x.age") }]) {
      const run = await apply(key, { ...specFor("nosecret"), seal });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/seal\.recipients is empty/);
      expect(run.stderr).toMatch(/age-keygen -o key\.txt/);
      expect(run.stdout).toBe("");
    }
    expect(await requestsOf(control, key)).toEqual([]);
  });

  test("rejects bad spec fields with one line naming the field, the value and the fix, before any API request", async () => {
    const key = freshKey();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ url: "http://hooks.example.com/x" }, /url "http:\/\/hooks\.example\.com\/x" uses plain http:\/\/ .*use https:\/\//],
      [{ events: ["message.sent", "message.bogus"] }, /events .*"message\.bogus".*choose from/],
      [{ name: "" }, /name "" is empty: give the webhook a name/],
      [{ isActive: "yes" }, /isActive "yes" must be true or false/],
      [{ healthCheck: "maybe" }, /healthCheck "maybe" is not a policy: use "fail", "warn" or "skip"/],
      [{ stack: "my stack" }, /stack "my stack" cannot mark webhook ownership: use 1-200 characters/],
      [{ key: undefined }, /key undefined is missing or not a string/],
      [{ seal: { recipients: ["age1notakey"], path: join(dir, "y.age") } }, /seal\.recipients\[0\] "age1notakey" is not a valid X25519 age recipient/],
      [{ seal: { recipients: [alice.recipient] } }, /seal\.path undefined is missing/],
      [{ seal: { recipients: [alice.recipient], path: dir } }, /seal\.path .* is a directory/],
      [{ healthcheck: "skip" }, /unknown field "healthcheck"/],
      [{ description: "x\n\n[tuco-webhooks stack=a key=b]" }, /description .* contains a tuco-webhooks ownership marker/],
    ];
    for (const [override, message] of cases) {
      const run = await apply(key, specFor("bad", override));
      expect(run.code, JSON.stringify(override)).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
    }
    const notJson = await runCli(["apply", "--spec", "{nope"], { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: INSTANCE });
    expect(notJson.stderr).toMatch(/--spec is not valid JSON/);
    const none = await runCli(["apply"], { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: INSTANCE });
    expect(none.stderr).toMatch(/no spec given: pass --spec JSON or --spec-file PATH, or set TUCO_WEBHOOK_SPEC/);
    const unknownFlag = await runCli(["apply", "--spek", "{}"], { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: INSTANCE });
    expect(unknownFlag.stderr).toMatch(/unknown flag --spek/);
    expect(await requestsOf(control, key)).toEqual([]);
  });

  test("rejects the API key as a flag and fails without TUCO_API_KEY, naming the variable", async () => {
    const flag = await runCli(["apply", "--api-key", "tuco_sk_in_argv", "--spec", JSON.stringify(specFor("k"))], { TUCO_API_URL: emulator.url });
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/--api-key is not accepted: the API key is read only from the environment variable TUCO_API_KEY/);
    const missing = await runCli(["apply", "--spec", JSON.stringify(specFor("k"))], { TUCO_API_URL: emulator.url });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/set TUCO_API_KEY/);
  });

  test("fails a fresh create whose health-check fails under \"fail\" and rolls it back: no webhook, no sealed file; re-applying is safe", async () => {
    const key = freshKey();
    const spec = specFor("broken", { url: failing.url });
    const run = await apply(key, spec);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/Health-check of webhook \w+ failed: .*HTTP 500.*Rolled back: webhook \w+ was deleted and .* removed\. Re-applying is safe\./);
    expect(await listWebhooks(emulator.url, key)).toEqual([]);
    expect(existsSync(spec.seal.path)).toBe(false);

    const fixed = await apply(key, { ...spec, url: receiver.url });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(JSON.parse(fixed.stdout).action).toBe("created");
    expect(await listWebhooks(emulator.url, key)).toHaveLength(1);
  });

  test("keeps the webhook and warns when the health-check fails under \"warn\", with advice that fits \"warn\"", async () => {
    const key = freshKey();
    const spec = specFor("warned", { url: failing.url, healthCheck: "warn" });
    const run = await apply(key, spec);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: Health-check of webhook \w+ failed: .* \(HTTP 500\): .*\. The webhook is kept, as the health-check policy "warn" says; .*: fix the endpoint\./);
    // The policy in force is "warn": the advice is not to set it to "warn".
    expect(run.stderr).not.toMatch(/set the health-check policy to "warn"/);
    expect(JSON.parse(run.stdout)).toMatchObject({ action: "created", lastHealthCheck: { success: false, skipped: false, statusCode: 500 } });
    expect(await listWebhooks(emulator.url, key)).toHaveLength(1);
    expect(existsSync(spec.seal.path)).toBe(true);
  });

  test("sends no health-check under \"skip\"", async () => {
    const key = freshKey();
    const run = await apply(key, specFor("skipped", { url: failing.url, healthCheck: "skip" }));
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).lastHealthCheck).toEqual({ success: false, skipped: true, statusCode: 0, error: "", checkedAt: "" });
    expect((await requestsOf(control, key)).filter((r) => r.path.endsWith("/health-check"))).toEqual([]);
  });

  test("fails an update whose health-check fails under \"fail\", keeping the patch", async () => {
    const key = freshKey();
    const spec = specFor("moving");
    const created = JSON.parse((await apply(key, spec)).stdout);
    const run = await apply(key, { ...spec, url: failing.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Health-check of webhook .* failed.*The update of url stays applied; re-applying is safe/);
    const [live] = await listWebhooks(emulator.url, key);
    expect(live).toMatchObject({ id: created.id, url: failing.url });
  });

  test("fails a re-apply after a failed health-check for as long as the endpoint fails, then passes once it answers, on the same webhook", async () => {
    const key = freshKey();
    const spec = specFor("flaky");
    const created = JSON.parse((await apply(key, spec)).stdout);
    const broken = { ...spec, url: failing.url };
    expect((await apply(key, broken)).code).toBe(1);

    const again = await apply(key, broken);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`Health-check of webhook ${created.id} failed.*Webhook ${created.id} is unchanged; re-applying is safe`));

    failing.status = 200;
    try {
      const healed = await apply(key, broken);
      expect(healed.code).toBe(0);
      expect(JSON.parse(healed.stdout)).toMatchObject({ action: "unchanged", id: created.id, lastHealthCheck: { success: true, statusCode: 200 } });
    } finally {
      failing.status = 500;
    }
    expect((await listWebhooks(emulator.url, key)).map((w) => w.id)).toEqual([created.id]);
  });

  test("deletes the webhook it just created when the sealed file cannot be written, so nothing is orphaned", async () => {
    const key = freshKey();
    // A path every check before the create accepts (its directory exists), where no file can be
    // made even by root: /proc/self is the CLI process's own procfs directory. (A path under a
    // plain file is now refused before any request; see test/badinput.)
    const run = await apply(key, specFor("unsealable", { seal: { recipients: [alice.recipient], path: "/proc/self/unsealable.age" } }));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/sealing the secret of webhook \w+ to .* failed .*the webhook was deleted again so nothing is orphaned/);
    expect(await listWebhooks(emulator.url, key)).toEqual([]);
    const log = writes(await requestsOf(control, key)).map((r) => r.method);
    expect(log).toEqual(["POST", "DELETE"]);
  });

  test("of webhooks owning one key, keeps the one whose secret the sealed file holds and deletes the others, never an unmarked look-alike", async () => {
    const key = freshKey();
    const spec = specFor("dup");
    const sealed = JSON.parse((await apply(key, spec)).stdout).id;
    const client = new TucoClient({ apiUrl: emulator.url, apiKey: key });
    const twins = [await seedOwned(client, owner("dup"), { url: receiver.url, events: ["message.sent"], name: "dup" }), await seedOwned(client, owner("dup"), { url: receiver.url, events: ["message.sent"], name: "dup" })];
    await client.close();
    const untagged = await seedWebhook(emulator.url, key, { url: receiver.url, events: ["message.sent"], name: "dup" });
    const run = await apply(key, spec);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ action: "unchanged", id: sealed });
    for (const twin of twins) expect(run.stderr).toContain(`deleted duplicate webhook ${twin}`);
    expect((await listWebhooks(emulator.url, key)).map((w) => w.id).sort()).toEqual([sealed, untagged].sort());
  });

  test("recovers a create whose answer was lost: one webhook, and the sealed secret is the one Tuco signs with", async () => {
    const key = freshKey();
    const spec = specFor("lost");
    await control.addFault({ kind: "commit-then-drop", method: "POST", path: "/api/webhooks", times: 1 });
    try {
      const run = await apply(key, spec);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/answer was lost/);
      const result = JSON.parse(run.stdout);
      const live = await listWebhooks(emulator.url, key);
      expect(live.map((w) => w.id)).toEqual([result.id]);
      const secret = ageDecrypt(spec.seal.path, alice.identityFile);
      const ping = receiver.received.at(-1)!;
      expect(createHmac("sha256", secret).update(ping.rawBody).digest("hex")).toBe(ping.signature);
    } finally {
      await control.clearFaults();
    }
  });

  test("fails when confirming (and pausing) a new webhook fails, keeping its sealed secret; re-applying confirms that same webhook", async () => {
    const key = freshKey();
    const spec = specFor("paused", { isActive: false });
    await control.addFault({ kind: "status", method: "PATCH", path: "/api/webhooks/*", status: 400, times: 1 });
    let first: ProcessRun;
    try {
      first = await apply(key, spec);
    } finally {
      await control.clearFaults();
    }
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/was created and its secret sealed to .*, but confirming it failed: .*the next apply confirms it when it finds/);
    const [created] = await listWebhooks(emulator.url, key);
    expect(created.isActive).toBe(true);
    expect(created.description).toMatch(/pending=/);
    const secret = ageDecrypt(spec.seal.path, alice.identityFile);
    expect(secret.length).toBeGreaterThan(0);

    const second = await apply(key, spec);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(new RegExp(`finishing an interrupted create: webhook ${created.id} was never confirmed, but its secret is sealed in`));
    expect(JSON.parse(second.stdout)).toMatchObject({ action: "updated", id: created.id, changed: ["isActive"] });
    const [live] = await listWebhooks(emulator.url, key);
    expect(live).toMatchObject({ id: created.id, isActive: false, description: ownedDescription(null, owner("paused"), created.id) });
    expect(ageDecrypt(spec.seal.path, alice.identityFile)).toBe(secret);
  });
});
