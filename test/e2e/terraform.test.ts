/**
 * The CDKTF guarantees of issue 4, run for real: cdktf synthesizes `terraform_data` stacks, the
 * real `terraform` 1.11 applies them offline, the provisioners run the built CLI against the
 * emulator, and every assertion reads the emulator's API and request log.
 *
 * The steps share one stack and run in order (each one starts from the state the previous left).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoClient } from "../../src/api/client";
import type { Webhook } from "../../src/api/types";
import { TucoWebhook, TucoWebhookPrune, type TucoWebhookProps } from "../../src/cdktf";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import type { LoggedRequest } from "../../src/emulator";
import { verifyTucoSignature } from "../../src/receiver";
import { markedStackKey, readDescription, seedOwned } from "../helpers/markers";
import { expectNoLeaks } from "../helpers/secret-scan";
import { TerraformWorkspace } from "../helpers/terraform";
import { ageDecrypt, ageKeypair } from "../helpers/age";
import { requireBuiltCli, runCli } from "../helpers/process";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

const STEP_MS = 60_000;
const API_KEY = `tuco_sk_e2e_${crypto.randomBytes(12).toString("hex")}`;
const STACK = "shop";

let emulator: RunningEmulator;
let control: EmulatorControl;
let client: TucoClient;
let receiver: TestReceiver;
let ws: TerraformWorkspace;
let age: { identityFile: string; recipient: string };
let env: NodeJS.ProcessEnv;
let stackDir: string;
let sealDir: string;
const secrets = new Map<string, string>();
const ids = new Map<string, string>();
let bystanders: Webhook[] = [];
/** The request log's last entry once the bystanders were made: what comes after is the stack's doing. */
let seededUpTo = 0;

/** A webhook of the program: its construct path below the stack and its props. */
type Declared = { path: string; props: Omit<TucoWebhookProps, "recipients" | "resourceType" | "sealedSecretPath"> };

function program(declared: Declared[]): (stack: TerraformStack) => void {
  return (stack) => {
    for (const d of declared) {
      const parts = d.path.split("/");
      let scope: Construct = stack;
      for (const part of parts.slice(0, -1)) scope = (scope.node.tryFindChild(part) as Construct | undefined) ?? new Construct(scope, part);
      new TucoWebhook(scope, parts[parts.length - 1], {
        ...d.props,
        recipients: [age.recipient],
        resourceType: "terraform_data",
        sealedSecretPath: path.join(sealDir, `${d.path.replace(/\//g, "__")}.age`),
      });
    }
  };
}

async function owned(stack = STACK): Promise<Map<string, Webhook>> {
  const byKey = new Map<string, Webhook>();
  for (const w of await client.list()) {
    const owner = markedStackKey(w.description);
    if (owner?.stack !== stack) continue;
    expect(byKey.has(owner.key), `two webhooks carry the marker of ${stack}/${owner.key}`).toBe(false);
    byKey.set(owner.key, w);
  }
  return byKey;
}

async function lastSeq(): Promise<number> {
  const log = await control.requests();
  return log.length ? log[log.length - 1].seq : 0;
}

async function requestsSince(seq: number): Promise<LoggedRequest[]> {
  return (await control.requests()).filter((r) => r.seq > seq);
}

const writesOf = (log: LoggedRequest[]) => log.filter((r) => r.method !== "GET");
const hookPath = (id: string) => `/api/webhooks/${id}`;

const CRM: Declared = {
  path: "crm",
  props: { name: "CRM events", url: "", events: ["message.sent"], description: "Feeds the CRM ${not_a_template} at 100%{x}" },
};
const LEDGER: Declared = { path: "billing/ledger", props: { name: "Ledger", url: "", events: ["message.failed"], healthCheck: "warn" } };

beforeAll(async () => {
  requireBuiltCli();
  ws = TerraformWorkspace.create("tuco-tf-e2e-");
  age = ageKeypair(ws.root);
  sealDir = path.join(ws.root, "sealed");
  emulator = await startEmulator({ port: 0 });
  control = new EmulatorControl(emulator.url);
  client = new TucoClient({ apiKey: API_KEY, apiUrl: emulator.url });
  receiver = await startReceiver();
  env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: API_KEY };
  CRM.props = { ...CRM.props, url: `${receiver.origin}/crm` };
  LEDGER.props = { ...LEDGER.props, url: `${receiver.origin}/ledger` };
  // Webhooks this stack must never touch: a hand-made one with the same name, and another stack's with the same key.
  const handMade = await client.create({ url: `${receiver.origin}/hand`, events: ["message.sent"], name: "CRM events" });
  const otherStack = await seedOwned(client, { stack: "other", key: "crm", instance: "another-state" }, {
    url: `${receiver.origin}/other`,
    events: ["message.sent"],
    name: "CRM events",
    description: "Another team's CRM",
  });
  bystanders = [await client.get(handMade.id), await client.get(otherStack)];
  seededUpTo = await lastSeq();
});

afterAll(async () => {
  await client?.close();
  await receiver?.close();
  await emulator?.close();
  ws?.dispose();
});

describe("TucoWebhook on real Terraform (terraform_data, offline)", () => {
  test("first apply creates every declared webhook, health-checks it and seals its secret for the age CLI and ours", { timeout: STEP_MS }, async () => {
    const mark = await lastSeq();
    stackDir = ws.synth(STACK, program([CRM, LEDGER]));
    await ws.init(stackDir, { env });
    const applied = await ws.apply(stackDir, { env });

    const live = await owned();
    expect([...live.keys()].sort()).toEqual(["billing/ledger", "crm"]);
    const crm = live.get("crm")!;
    expect(crm).toMatchObject({ name: "CRM events", url: `${receiver.origin}/crm`, events: ["message.sent"], isActive: true });
    expect(readDescription(crm.description).description).toBe("Feeds the CRM ${not_a_template} at 100%{x}");
    for (const [key, w] of live) ids.set(key, w.id);

    // In Terraform's log, each action of a provisioner is one "(local-exec):" line, the passing health-check included: nothing said twice.
    for (const [key, w] of live) {
      const lines = applied.stdout.split("\n").filter((l) => l.includes("(local-exec): tuco-webhooks") && l.includes(w.id));
      expect(lines.map((l) => l.replace(/^.*\(local-exec\): /, "")), key).toEqual([
        `tuco-webhooks apply: created webhook ${w.id} (${JSON.stringify(w.name)}), not yet confirmed: its secret is being sealed`,
        expect.stringMatching(new RegExp(`^tuco-webhooks apply: confirmed webhook ${w.id}: it now carries the marker of stack shop key ${key} instance \\S+$`)),
        `tuco-webhooks apply: health-check of webhook ${w.id} passed: ${w.url} answered the signed test ping with 200`,
      ]);
    }

    const log = await requestsSince(mark);
    expect(log.filter((r) => r.method === "POST" && r.path === "/api/webhooks")).toHaveLength(2);
    for (const id of ids.values()) expect(log.some((r) => r.method === "POST" && r.path === `${hookPath(id)}/health-check` && r.status === 200)).toBe(true);

    for (const key of ["crm", "billing/ledger"]) {
      const file = path.join(sealDir, `${key.replace(/\//g, "__")}.age`);
      const secret = ageDecrypt(file, age.identityFile);
      expect(secret.length).toBeGreaterThan(16);
      const ours = await runCli(["secret", "open", file, "--identity", age.identityFile]);
      expect(ours.code, ours.stderr).toBe(0);
      expect(ours.stdout).toBe(secret);
      secrets.set(key, secret);
    }
    // The sealed secret is the webhook's real signing secret.
    const before = receiver.received.length;
    await control.fireEvent(API_KEY, "message.sent");
    const delivery = receiver.received.slice(before).find((r) => r.path === "/crm")!;
    expect(delivery).toBeDefined();
    expect(verifyTucoSignature(delivery.rawBody, delivery.headers["x-tuco-signature"], secrets.get("crm")!)).toBe(true);
  });

  test("re-applying with no change plans nothing and makes zero API writes", { timeout: STEP_MS }, async () => {
    const mark = await lastSeq();
    const plan = await ws.plan(stackDir, { env });
    expect(plan.code, plan.stdout).toBe(0);
    await ws.apply(stackDir, { env });
    expect(writesOf(await requestsSince(mark))).toEqual([]);
  });

  test("a change made outside Terraform is invisible to terraform plan but drift finds it and --fix repairs it", { timeout: STEP_MS }, async () => {
    await client.update(ids.get("crm")!, { url: `${receiver.origin}/hijacked` });
    const plan = await ws.plan(stackDir, { env });
    expect(plan.code).toBe(0);
    const drift = await runCli(["drift", stackDir], env);
    expect(drift.code, drift.stderr).toBe(2);
    expect(drift.stdout).toContain(`~ webhook crm (${ids.get("crm")}): url "${receiver.origin}/hijacked" -> "${receiver.origin}/crm"`);
    const fixed = await runCli(["drift", stackDir, "--fix"], env);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect((await client.get(ids.get("crm")!)).url).toBe(`${receiver.origin}/crm`);
  });

  test("changing url, events, isActive or description patches the same webhook in place, keeps its secret and health-checks again", { timeout: STEP_MS }, async () => {
    const sealed = (key: string) => path.join(sealDir, `${key.replace(/\//g, "__")}.age`);
    const files = new Map(["crm", "billing/ledger"].map((k) => [k, { bytes: fs.readFileSync(sealed(k)), mtimeMs: fs.statSync(sealed(k)).mtimeMs }]));
    const mark = await lastSeq();
    const crm2: Declared = { ...CRM, props: { ...CRM.props, url: `${receiver.origin}/crm2`, events: ["message.reply", "message.sent"], description: "Feeds the CRM, v2" } };
    const ledger2: Declared = { ...LEDGER, props: { ...LEDGER.props, isActive: false } };
    stackDir = ws.synth(STACK, program([crm2, ledger2]));
    const plan = await ws.plan(stackDir, { env });
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/create replacement and then destroy/);
    await ws.apply(stackDir, { env });

    const live = await owned();
    expect(live.get("crm")!.id).toBe(ids.get("crm"));
    expect(live.get("billing/ledger")!.id).toBe(ids.get("billing/ledger"));
    expect(live.get("crm")).toMatchObject({ url: `${receiver.origin}/crm2`, events: ["message.reply", "message.sent"], isActive: true });
    expect(readDescription(live.get("crm")!.description).description).toBe("Feeds the CRM, v2");
    expect(live.get("billing/ledger")!.isActive).toBe(false);

    const writes = writesOf(await requestsSince(mark));
    expect(writes.filter((r) => r.method === "POST" && r.path === "/api/webhooks")).toEqual([]);
    expect(writes.filter((r) => r.method === "DELETE")).toEqual([]);
    expect(writes.filter((r) => r.method === "PATCH").map((r) => r.path).sort()).toEqual([hookPath(ids.get("crm")!), hookPath(ids.get("billing/ledger")!)].sort());
    expect(writes.some((r) => r.path === `${hookPath(ids.get("crm")!)}/health-check`)).toBe(true);
    for (const [key, before] of files) {
      expect(fs.readFileSync(sealed(key)).equals(before.bytes)).toBe(true);
      expect(fs.statSync(sealed(key)).mtimeMs).toBe(before.mtimeMs);
    }
    const before = receiver.received.length;
    await control.fireEvent(API_KEY, "message.reply");
    const delivery = receiver.received.slice(before).find((r) => r.path === "/crm2")!;
    expect(verifyTucoSignature(delivery.rawBody, delivery.headers["x-tuco-signature"], secrets.get("crm")!)).toBe(true);
    expect((await ws.plan(stackDir, { env })).code).toBe(0);
    CRM.props = crm2.props;
    LEDGER.props = ledger2.props;
  });

  test("renaming a construct deletes the old webhook in the same apply and leaves the others alone", { timeout: STEP_MS }, async () => {
    const mark = await lastSeq();
    const payments: Declared = { path: "billing/payments", props: LEDGER.props };
    stackDir = ws.synth(STACK, program([CRM, payments]));
    await ws.apply(stackDir, { env });
    const live = await owned();
    expect([...live.keys()].sort()).toEqual(["billing/payments", "crm"]);
    expect(live.get("crm")!.id).toBe(ids.get("crm"));
    const writes = writesOf(await requestsSince(mark));
    expect(writes.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual([hookPath(ids.get("billing/ledger")!)]);
    expect(writes.some((r) => r.path.startsWith(hookPath(ids.get("crm")!)))).toBe(false);
    ids.delete("billing/ledger");
    ids.set("billing/payments", live.get("billing/payments")!.id);
    secrets.set("billing/payments", ageDecrypt(path.join(sealDir, "billing__payments.age"), age.identityFile));
    expect((await ws.plan(stackDir, { env })).code).toBe(0);
  });

  test("an apply that failed because the API was down is simply re-applied: one webhook, nothing lost", { timeout: STEP_MS }, async () => {
    const alerts: Declared = { path: "alerts", props: { name: "Alerts", url: `${receiver.origin}/alerts`, events: ["message.failed"] } };
    stackDir = ws.synth(STACK, program([CRM, { path: "billing/payments", props: LEDGER.props }, alerts]));
    await control.addFault({ kind: "status", status: 503, method: "POST", path: "/api/webhooks", times: 1000 });
    let failed;
    try {
      failed = await ws.apply(stackDir, { env, okCodes: [0, 1] });
    } finally {
      await control.clearFaults();
    }
    // Exit 0 means the CLI exited 0 while its create was still being retried (src/api/client.ts sleeps
    // on an unref'd timer, so node leaves with nothing created): taint it so the later steps still run.
    if (failed.code === 0) await ws.run(stackDir, ["taint", "-no-color", "terraform_data.alerts"], { env });
    expect((await owned()).has("alerts")).toBe(false);

    await ws.apply(stackDir, { env });
    const live = await owned();
    expect([...live.keys()].sort()).toEqual(["alerts", "billing/payments", "crm"]);
    expect(live.get("crm")!.id).toBe(ids.get("crm"));
    expect(live.get("billing/payments")!.id).toBe(ids.get("billing/payments"));
    ids.set("alerts", live.get("alerts")!.id);
    secrets.set("alerts", ageDecrypt(path.join(sealDir, "alerts.age"), age.identityFile));
    expect((await ws.plan(stackDir, { env })).code).toBe(0);
    expect(failed.code, `terraform reported success although every POST /api/webhooks answered 503:\n${failed.stdout}`).toBe(1);
    expect(failed.stderr).toMatch(/local-exec provisioner error/);
  });

  test("an apply whose health-check failed under policy fail is re-applied once the endpoint answers: one webhook", { timeout: STEP_MS }, async () => {
    const support: Declared = { path: "support", props: { name: "Support", url: `${receiver.origin}/support`, events: ["message.reply"], healthCheck: "fail" } };
    const all = [CRM, { path: "billing/payments", props: LEDGER.props }, { path: "alerts", props: { name: "Alerts", url: `${receiver.origin}/alerts`, events: ["message.failed"] } }, support];
    stackDir = ws.synth(STACK, program(all));
    receiver.setStatus("/support", 500);
    const failed = await ws.apply(stackDir, { env, okCodes: [1] });
    expect(failed.stderr + failed.stdout).toMatch(/health-check/i);
    expect((await owned()).has("support")).toBe(false);
    expect(fs.existsSync(path.join(sealDir, "support.age"))).toBe(false);

    receiver.setStatus("/support", 200);
    await ws.apply(stackDir, { env });
    const live = await owned();
    expect([...live.keys()].sort()).toEqual(["alerts", "billing/payments", "crm", "support"]);
    secrets.set("support", ageDecrypt(path.join(sealDir, "support.age"), age.identityFile));
    ids.set("support", live.get("support")!.id);
    expect((await ws.plan(stackDir, { env })).code).toBe(0);
  });

  test("an ephemeral runner with only the state and the synthesized JSON removes a construct's webhook in that apply", { timeout: STEP_MS }, async () => {
    // A fresh runner: a new checkout (new synth output), the state from the backend, no sealed files, no .terraform.
    const state = fs.readFileSync(ws.stateFile(stackDir));
    const stateName = path.basename(ws.stateFile(stackDir));
    fs.renameSync(sealDir, `${sealDir}.published`);
    fs.rmSync(path.join(ws.root, "cdktf.out"), { recursive: true });
    const mark = await lastSeq();
    const remaining = [{ path: "billing/payments", props: LEDGER.props }, { path: "alerts", props: { name: "Alerts", url: `${receiver.origin}/alerts`, events: ["message.failed"] } }];
    const support: Declared = { path: "support", props: { name: "Support", url: `${receiver.origin}/support`, events: ["message.reply"], healthCheck: "fail" } };
    stackDir = ws.synth(STACK, program([...remaining, support]), { outdir: "runner2/cdktf.out" });
    expect(fs.readdirSync(stackDir)).toEqual(["cdk.tf.json"]);
    fs.writeFileSync(path.join(stackDir, stateName), state);
    await ws.init(stackDir, { env });
    await ws.apply(stackDir, { env });

    const live = await owned();
    expect([...live.keys()].sort()).toEqual(["alerts", "billing/payments", "support"]);
    const writes = writesOf(await requestsSince(mark));
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([`DELETE ${hookPath(ids.get("crm")!)}`]);
    expect(fs.existsSync(sealDir)).toBe(false);
    ids.delete("crm");
    expect((await ws.plan(stackDir, { env })).code).toBe(0);
  });

  test("terraform taint then apply re-runs only the create command: the same webhook, no write when in sync", { timeout: STEP_MS }, async () => {
    await ws.run(stackDir, ["taint", "-no-color", "terraform_data.alerts"], { env });
    const mark = await lastSeq();
    const run = await ws.apply(stackDir, { env });
    expect(run.stdout).toMatch(/terraform_data\.alerts: Creating/);
    expect(run.stdout).not.toMatch(/delete --stack/);
    const writes = writesOf(await requestsSince(mark));
    // No create, no patch, no delete (at most a health-check, if the apply command runs one when in sync).
    expect(writes.filter((r) => !r.path.endsWith("/health-check"))).toEqual([]);
    expect((await owned()).get("alerts")!.id).toBe(ids.get("alerts"));
  });

  test("terraform destroy deletes every webhook of the stack and nothing else", { timeout: STEP_MS }, async () => {
    const before = await owned();
    const destroyed = await ws.destroy(stackDir, { env });
    expect((await owned()).size).toBe(0);
    // The prune of a destroy says why: the stack is being destroyed, not that it stopped declaring its webhooks.
    for (const [key, w] of before) expect(destroyed.stdout).toContain(`(local-exec): tuco-webhooks prune: deleted webhook ${w.id} ("${w.name}", key ${key}): stack shop is being destroyed`);
    expect(destroyed.stdout).not.toMatch(/no longer declares/);
  });

  test("a stack that keeps TucoWebhookPrune deletes its last webhook when the program drops it", { timeout: STEP_MS }, async () => {
    const last: Declared = { path: "last", props: { name: "Last", url: `${receiver.origin}/last`, events: ["message.sent"] } };
    const dir = ws.synth("solo", program([last]), { outdir: "solo/cdktf.out" });
    await ws.init(dir, { env });
    await ws.apply(dir, { env });
    expect([...(await owned("solo")).keys()]).toEqual(["last"]);
    ws.synth("solo", (stack) => void TucoWebhookPrune.of(stack, "terraform_data"), { outdir: "solo/cdktf.out" });
    await ws.apply(dir, { env });
    expect((await owned("solo")).size).toBe(0);
    expect((await ws.plan(dir, { env })).code).toBe(0);
    await ws.destroy(dir, { env });
    secrets.set("last", ageDecrypt(path.join(sealDir, "last.age"), age.identityFile));
  });

  test("never changed or deleted the other stack's or the hand-made webhooks with equal names", async () => {
    const declared = (w: Webhook) => ({ id: w.id, url: w.url, events: w.events, name: w.name, description: w.description, isActive: w.isActive, updatedAt: w.updatedAt });
    for (const b of bystanders) expect(declared(await client.get(b.id))).toEqual(declared(b));
    const log = await requestsSince(seededUpTo);
    const touched = writesOf(log).filter((r) => bystanders.some((b) => r.path.startsWith(hookPath(b.id))));
    expect(touched).toEqual([]);
  });

  test("no API key or webhook secret in the state, the synthesized JSON, or anything terraform printed", () => {
    expect(secrets.size).toBe(6);
    const files = TerraformWorkspace.readTree(path.join(ws.root, "runner2")) + TerraformWorkspace.readTree(path.join(ws.root, "solo"));
    expect(files).toContain("terraform_data");
    // Plain text and the encodings a leak would take (test/helpers/secret-scan.ts); test/e2e/secrets-terraform.test.ts scans a whole lifecycle.
    const report = expectNoLeaks(
      [{ label: "API key", value: API_KEY }, ...[...secrets].map(([key, value]) => ({ label: `secret of ${key}`, value }))],
      [
        { name: "runner2", dir: path.join(ws.root, "runner2") },
        { name: "solo", dir: path.join(ws.root, "solo") },
        ...ws.runs.flatMap((r, i) => [
          { name: `terraform run ${i + 1} stdout`, text: r.stdout },
          { name: `terraform run ${i + 1} stderr`, text: r.stderr },
        ]),
      ],
    );
    expect(report.artifacts).toContain(`runner2/cdktf.out/stacks/${STACK}/terraform.tfstate`);
  });
});
