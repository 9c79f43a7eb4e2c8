/**
 * 50 webhooks applied at once against an emulator that accepts at most 20 requests in any second,
 * through both front ends: the Pulumi provider in the real dynamic-provider host (one process and
 * one API client for every resource, as `pulumi up` runs a stack's creates, unbounded by default)
 * and the CLI the CDKTF provisioners run (50 separate processes, as `terraform apply
 * -parallelism=50` runs them; terraform's default of 10 is the easier case of the same thing).
 * Every apply must succeed, leave exactly 50 webhooks, and hold a secret that signs its deliveries;
 * the request log shows the limit held.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { WEBHOOK_TYPE, webhookProvider } from "../../src/pulumi";
import { checkTucoSignature } from "../../src/receiver/signature";
import { listWebhooks } from "../cli/helpers";
import { ageDecrypt, ageKeypair, requireAgeBinary } from "../helpers/age";
import { requireBuiltCli, runCli } from "../helpers/process";
import { assertDistIsFresh } from "../helpers/pulumi-fixtures";
import { outputsOf, serializeProvider, startPulumiHost, urnOf, type PulumiHost } from "../helpers/pulumi-host";
import { auditRate } from "../helpers/rate";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

const N = 50;
const LIMIT = 20;
const names = Array.from({ length: N }, (_, i) => `w${String(i).padStart(2, "0")}`);

let emulator: RunningEmulator;
let control: EmulatorControl;
let receiver: TestReceiver;
let dir: string;

beforeAll(async () => {
  assertDistIsFresh();
  requireBuiltCli();
  requireAgeBinary();
  emulator = await startEmulator({ port: 0, rateLimitPerSecond: LIMIT });
  control = new EmulatorControl(emulator.url);
  receiver = await startReceiver(200);
  dir = await mkdtemp(join(tmpdir(), "tuco-rate-"));
});

afterAll(async () => {
  await receiver?.close();
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await control.reset();
});

/**
 * Fires an event to every webhook of the key and checks that each one's deliveries (the event and
 * any earlier health-check ping, at its own URL path) verify with the secret `secretOf(name)` gives.
 */
async function expectSecretsSign(apiKey: string, secretOf: (name: string) => string): Promise<void> {
  const deliveries = await control.fireEvent(apiKey, "message.sent");
  expect(deliveries).toHaveLength(N);
  expect(deliveries.every((d) => d.success)).toBe(true);
  for (const name of names) {
    const got = receiver.received.filter((r) => r.path === `/hooks/tuco/${apiKey}/${name}`);
    expect(got.length, name).toBeGreaterThanOrEqual(1);
    for (const r of got) expect(checkTucoSignature(r.rawBody, r.headers["x-tuco-signature"], secretOf(name)), name).toEqual({ ok: true });
  }
}

/** The emulator's log against the limit; lifts the limit so the test's own checks are not refused. */
async function auditAndLift(): Promise<ReturnType<typeof auditRate>> {
  const audit = auditRate(await control.requests());
  await control.setRateLimit(null);
  expect(audit.maxAcceptedInAnySecond).toBeLessThanOrEqual(LIMIT);
  process.stdout.write(`rate limit ${LIMIT}/s: ${audit.accepted} accepted, ${audit.refused} refused with 429, at most ${audit.maxAcceptedInAnySecond} accepted in any second\n`);
  return audit;
}

describe(`${N} webhooks applied in parallel under a limit of ${LIMIT} requests per second`, () => {
  let host: PulumiHost;
  afterAll(async () => {
    await host?.close();
  });

  it("all succeed through the Pulumi provider in the real host, and every secret output signs its webhook's deliveries", async () => {
    const key = "tuco_sk_rate_pulumi";
    const { TUCO_API_KEY: _k, TUCO_API_URL: _u, ...env } = process.env;
    host = await startPulumiHost({ providerText: await serializeProvider(webhookProvider), env, callTimeoutMs: 300_000 });
    await host.configure({ "tuco:apiKey": key, "tuco:apiUrl": emulator.url });

    const results = await Promise.allSettled(
      names.map(async (name) => {
        const urn = urnOf(WEBHOOK_TYPE, name);
        const { inputs, failures } = await host.check(urn, {}, { url: `${receiver.url}/${key}/${name}`, events: ["message.sent"], name });
        expect(failures).toEqual([]);
        return host.create(urn, inputs);
      }),
    );
    expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const created = results.map((r) => (r as PromiseFulfilledResult<{ id: string; properties: Record<string, unknown> }>).value);

    const audit = await auditAndLift();
    expect(audit.accepted).toBeGreaterThanOrEqual(N * 2);

    const live = await listWebhooks(emulator.url, key);
    expect(live.map((w) => w.id).sort()).toEqual(created.map((c) => c.id).sort());
    expect(live.map((w) => w.name).sort()).toEqual(names);
    const secrets = new Map(created.map((c) => [outputsOf(c.properties).name as string, String(outputsOf(c.properties).secret)]));
    for (const c of created) expect(outputsOf(c.properties).lastHealthCheck).toMatchObject({ success: true });
    await expectSecretsSign(key, (name) => secrets.get(name)!);
  });

  it("all succeed through the CLI the provisioners run, 50 processes at once, and every sealed file opens to the secret that signs", async () => {
    const key = "tuco_sk_rate_cli";
    const age = ageKeypair(dir, "identity.txt");
    const identity = age.identityFile;
    const sealedPath = (name: string) => join(dir, "sealed", `${name}.age`);

    const runs = await Promise.all(
      names.map((name) => {
        const spec = { stack: "rate", key: name, name, url: `${receiver.url}/${key}/${name}`, events: ["message.sent"], seal: { recipients: [age.recipient], path: sealedPath(name) } };
        // Exactly what the provisioner runs: `node <cli> apply` with the spec in TUCO_WEBHOOK_SPEC.
        return runCli(["apply"], { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_WEBHOOK_SPEC: JSON.stringify(spec), TUCO_STACK_INSTANCE: "rate-limit-instance" });
      }),
    );
    const failed = runs.map((r, i) => ({ name: names[i], ...r })).filter((r) => r.code !== 0);
    expect(failed.map((r) => `${r.name}: exit ${r.code}: ${r.stderr}`)).toEqual([]);

    const audit = await auditAndLift();
    expect(audit.accepted).toBeGreaterThanOrEqual(N * 3);

    const live = await listWebhooks(emulator.url, key);
    expect(live).toHaveLength(N);
    expect(live.map((w) => w.name).sort()).toEqual(names);
    expect(new Set(live.map((w) => w.description)).size).toBe(N);
    const secrets = new Map(names.map((name) => [name, ageDecrypt(sealedPath(name), identity)]));
    await expectSecretsSign(key, (name) => secrets.get(name)!);
  });
});
