/**
 * Issue 6, "scan, don't trust", on real Terraform: a `terraform_data` stack goes through create,
 * in-place update, a failed apply (health-check failure, a seal path that cannot be written, a
 * pause that fails), drift found and fixed, and destroy, with every node process recording its
 * argv and environment. Then every artifact is scanned for the API key and for every webhook
 * secret the API ever minted (a recording proxy in front of the emulator writes them down, so
 * rolled-back and re-created webhooks count too).
 *
 * The steps share one stack and run in order.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { TerraformStack } from "cdktf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoClient } from "../../src/api/client";
import { TucoWebhook, type TucoWebhookProps } from "../../src/cdktf";
import { tucoCliPath } from "../../src/cdk/resources";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { markedStackKey } from "../helpers/markers";
import { ProcessRecorder } from "../helpers/process-recorder";
import { expectNoLeaks, type Artifact, type Needle } from "../helpers/secret-scan";
import { startSecretRecorder, type SecretRecorder } from "../helpers/secret-recorder";
import { TerraformWorkspace } from "../helpers/terraform";
import { ageDecrypt, ageKeypair } from "../helpers/age";
import { type ProcessRun, requireBuiltCli, runCli } from "../helpers/process";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

const STEP_MS = 60_000;
const API_KEY = `tuco_sk_scan_${crypto.randomBytes(12).toString("hex")}`;
const STACK = "scanned";

let emulator: RunningEmulator;
let control: EmulatorControl;
let proxy: SecretRecorder;
let client: TucoClient;
let receiver: TestReceiver;
let ws: TerraformWorkspace;
let procs: ProcessRecorder;
let age: { identityFile: string; recipient: string };
let env: NodeJS.ProcessEnv;
let stackDir: string;
let sealDir: string;
/** Output of commands the test ran besides terraform: CLI runs and `terraform show -json`. */
const printed: Artifact[] = [];

type Declared = { key: string; props: Omit<TucoWebhookProps, "recipients" | "resourceType"> };

function program(declared: Declared[]): (stack: TerraformStack) => void {
  return (stack) => {
    for (const d of declared) {
      new TucoWebhook(stack, d.key, {
        sealedSecretPath: path.join(sealDir, `${d.key}.age`),
        ...d.props,
        recipients: [age.recipient],
        resourceType: "terraform_data",
      });
    }
  };
}

async function owned(): Promise<Map<string, { id: string; url: string; isActive: boolean }>> {
  const byKey = new Map<string, { id: string; url: string; isActive: boolean }>();
  for (const w of await client.list()) {
    const owner = markedStackKey(w.description);
    if (owner?.stack === STACK) byKey.set(owner.key, w);
  }
  return byKey;
}

async function cli(args: string[], okCodes: number[] = [0]): Promise<ProcessRun> {
  const run = await runCli(args, env, { cwd: ws.root });
  const name = `tuco-webhooks ${args.filter((a) => a !== stackDir).join(" ")} (run ${printed.length / 2 + 1})`;
  printed.push({ name: `${name} stdout`, text: run.stdout }, { name: `${name} stderr`, text: run.stderr });
  expect(okCodes, `tuco-webhooks ${args.join(" ")} exited ${run.code}: ${run.stderr}`).toContain(run.code);
  return run;
}

/** `terraform plan -out`, `terraform show -json` of that plan, then `terraform apply` of exactly that plan. */
async function planShowApply(name: string, okCodes: number[] = [0]): Promise<{ code: number; stdout: string; stderr: string }> {
  await ws.run(stackDir, ["plan", "-input=false", "-no-color", `-out=${name}.tfplan`], { env });
  const shown = await ws.run(stackDir, ["show", "-json", "-no-color", `${name}.tfplan`], { env });
  printed.push({ name: `terraform show -json ${name}.tfplan`, text: shown.stdout });
  expect(JSON.parse(shown.stdout)).toHaveProperty("resource_changes");
  return ws.run(stackDir, ["apply", "-input=false", "-no-color", "-parallelism=4", `${name}.tfplan`], { env, okCodes });
}

const ORDERS: Declared = { key: "orders", props: { name: "Orders", url: "", events: ["message.sent"], description: "Order updates" } };
const PAUSED: Declared = { key: "paused", props: { name: "Paused", url: "", events: ["message.failed"], isActive: false, healthCheck: "warn" } };

beforeAll(async () => {
  requireBuiltCli();
  ws = TerraformWorkspace.create("tuco-tf-scan-");
  procs = ProcessRecorder.create();
  age = ageKeypair(ws.root);
  sealDir = path.join(ws.root, "sealed");
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 2000 });
  control = new EmulatorControl(emulator.url);
  proxy = await startSecretRecorder(emulator.url);
  client = new TucoClient({ apiKey: API_KEY, apiUrl: emulator.url, retry: { retries: 0 } });
  receiver = await startReceiver();
  env = {
    TUCO_API_URL: proxy.url,
    TUCO_API_KEY: API_KEY,
    ...procs.env(),
    // Terraform's own debug log, written into the workspace, is scanned like every other file there.
    TF_LOG: "DEBUG",
    TF_LOG_PATH: path.join(ws.root, "terraform-debug.log"),
  };
  ORDERS.props = { ...ORDERS.props, url: `${receiver.origin}/orders` };
  PAUSED.props = { ...PAUSED.props, url: `${receiver.origin}/paused` };
});

afterAll(async () => {
  await client?.close();
  await receiver?.close();
  await proxy?.close();
  await emulator?.close();
  procs?.dispose();
  ws?.dispose();
});

describe("no secret leaks through a whole Terraform lifecycle (terraform_data, real terraform, emulator)", () => {
  test("create: plan, show -json of the plan, apply of that plan, show -json of the state", { timeout: STEP_MS }, async () => {
    stackDir = ws.synth(STACK, program([ORDERS, PAUSED]));
    await ws.init(stackDir, { env });
    const applied = await planShowApply("create");
    // Terraform prints the exact argv it gives the shell: the command and nothing else.
    const cli = tucoCliPath();
    expect(applied.stdout.match(/Executing: \[.*\]/g)?.sort()).toEqual([
      `Executing: ["/bin/sh" "-c" "exec node '${cli}' apply"]`,
      `Executing: ["/bin/sh" "-c" "exec node '${cli}' apply"]`,
      `Executing: ["/bin/sh" "-c" "exec node '${cli}' prune --stack '${STACK}' --keep 'orders,paused'"]`,
    ]);
    const shown = await ws.run(stackDir, ["show", "-json", "-no-color"], { env });
    printed.push({ name: "terraform show -json (after create)", text: shown.stdout });
    expect([...(await owned()).keys()].sort()).toEqual(["orders", "paused"]);
    expect((await owned()).get("paused")!.isActive).toBe(false);
  });

  test("in-place update: the same webhooks are patched and keep their secrets", { timeout: STEP_MS }, async () => {
    const before = await owned();
    ORDERS.props = { ...ORDERS.props, url: `${receiver.origin}/orders-v2`, events: ["message.sent", "message.reply"], description: "Order updates, v2" };
    stackDir = ws.synth(STACK, program([ORDERS, PAUSED]));
    await planShowApply("update");
    const after = await owned();
    expect(after.get("orders")).toMatchObject({ id: before.get("orders")!.id, url: `${receiver.origin}/orders-v2` });
    expect(proxy.secrets).toHaveLength(2);
  });

  test("a failed apply: a failed health-check, an unwritable seal path, then a failed confirm (and pause), each after Tuco created the webhook", { timeout: STEP_MS }, async () => {
    // A path that passes every check at synthesis but that no process, root included, can create: /proc/self is the CLI process's own procfs directory.
    const broken: Declared = { key: "broken", props: { name: "Broken", url: `${receiver.origin}/broken`, events: ["message.sent"], healthCheck: "fail" } };
    const unsealable: Declared = { key: "unsealable", props: { name: "Unsealable", url: `${receiver.origin}/unsealable`, events: ["message.sent"], sealedSecretPath: "/proc/self/unsealable.age" } };
    const pauseFails: Declared = { key: "pausefails", props: { name: "Pause fails", url: `${receiver.origin}/pausefails`, events: ["message.reply"], isActive: false } };
    receiver.setStatus("/broken", 500);
    stackDir = ws.synth(STACK, program([ORDERS, PAUSED, broken, unsealable]));
    const failed = await ws.apply(stackDir, { env, okCodes: [1] });
    const errors = failed.stderr.replace(/\s+/g, " ");
    expect(errors).toMatch(/Health-check of webhook \w+ failed/);
    expect(errors).toMatch(/sealing the secret of webhook \w+ to \S*unsealable\.age failed/);
    // The PATCH that confirms a new webhook (and pauses it) fails: only the new webhook's provisioner runs, so it is the one PATCH.
    await control.addFault({ kind: "status", status: 400, method: "PATCH", path: "/api/webhooks/*", times: 1, body: { error: "Invalid JSON body" } });
    stackDir = ws.synth(STACK, program([ORDERS, PAUSED, pauseFails]));
    let unconfirmed;
    try {
      unconfirmed = await ws.apply(stackDir, { env, okCodes: [1] });
    } finally {
      await control.clearFaults();
    }
    expect(unconfirmed.stderr.replace(/\s+/g, " ")).toMatch(/its secret sealed to \S*pausefails\.age, but confirming it failed/);
    // Tuco minted a secret for each of the three; two were rolled back, the third is sealed.
    expect(proxy.secrets).toHaveLength(5);
    expect([...(await owned()).keys()].sort()).toEqual(["orders", "paused", "pausefails"]);

    stackDir = ws.synth(STACK, program([ORDERS, PAUSED, pauseFails]));
    await ws.apply(stackDir, { env });
    expect((await owned()).get("pausefails")!.isActive).toBe(false);
  });

  test("drift, drift --json and drift --fix --json after changes outside Terraform (one by delete --json); prune --json, list --json", { timeout: STEP_MS }, async () => {
    const live = await owned();
    await client.update(live.get("orders")!.id, { url: `${receiver.origin}/hijacked` });
    // By hand, as an operator would: the stack instance is read from the state.
    const instance = (await ws.run(stackDir, ["output", "-raw", "tuco_webhooks_instance"], { env })).stdout.trim();
    const deleted = JSON.parse((await cli(["delete", "--stack", STACK, "--key", "paused", "--instance", instance, "--json"])).stdout) as { deleted: { id: string }[] };
    expect(deleted.deleted.map((d) => d.id)).toEqual([live.get("paused")!.id]);
    await cli(["drift", stackDir], [2]);
    const report = JSON.parse((await cli(["drift", stackDir, "--json"], [2])).stdout) as { webhooks: { key: string; status: string }[] };
    expect(report.webhooks.map((w) => [w.key, w.status]).sort()).toEqual([["orders", "drifted"], ["paused", "missing"], ["pausefails", "in-sync"]]);
    const fixed = JSON.parse((await cli(["drift", stackDir, "--fix", "--json"])).stdout) as { fixed: boolean };
    expect(fixed.fixed).toBe(true);
    const pruned = JSON.parse((await cli(["prune", "--stack", STACK, "--keep", "orders,paused,pausefails", "--instance", instance, "--json"])).stdout) as { deleted: unknown[]; kept: unknown[] };
    expect([pruned.deleted.length, pruned.kept.length]).toEqual([0, 3]);
    await cli(["list", "--json"]);
    await cli(["list", "--stack", STACK]);
    // --fix re-created the deleted webhook: one more secret minted and sealed.
    expect(proxy.secrets).toHaveLength(6);
    expect((await owned()).get("orders")!.url).toBe(`${receiver.origin}/orders-v2`);
  });

  test("destroy: plan -destroy, show -json of it, destroy; nothing of the stack is left", { timeout: STEP_MS }, async () => {
    await ws.run(stackDir, ["plan", "-destroy", "-input=false", "-no-color", "-out=destroy.tfplan"], { env });
    const shown = await ws.run(stackDir, ["show", "-json", "-no-color", "destroy.tfplan"], { env });
    printed.push({ name: "terraform show -json destroy.tfplan", text: shown.stdout });
    await ws.destroy(stackDir, { env });
    expect((await owned()).size).toBe(0);
  });

  test("no artifact holds the API key or any webhook secret, in plain text or encoded", async () => {
    // The recording proxy saw every secret Tuco minted: exactly one per successful create.
    const creates = (await control.requests()).filter((r) => r.method === "POST" && r.path === "/api/webhooks" && r.status === 201);
    expect(proxy.secrets).toHaveLength(creates.length);
    expect(new Set(proxy.secrets).size).toBe(6);
    // ... and they are the real ones: each sealed file opens (with the real age) to one of them.
    const sealedFiles = fs.readdirSync(sealDir).filter((f) => f.endsWith(".age")).sort();
    expect(sealedFiles).toEqual(["orders.age", "paused.age", "pausefails.age"]);
    for (const f of sealedFiles) expect(proxy.secrets).toContain(ageDecrypt(path.join(sealDir, f), age.identityFile));
    // Written by the provisioners' CLI: files 0600, the directory it created 0700. Destroy leaves them (their secrets are dead).
    for (const f of sealedFiles) expect(fs.statSync(path.join(sealDir, f)).mode & 0o777, f).toBe(0o600);
    expect(fs.statSync(sealDir).mode & 0o777).toBe(0o700);

    const key: Needle = { label: "API key", value: API_KEY };
    const secrets: Needle[] = proxy.secrets.map((value, i) => ({ label: `webhook secret #${i + 1}`, value }));
    const everything = [key, ...secrets];

    const node = procs.nodeProcesses();
    const cliRuns = node.filter((p) => p.argv[1] === requireBuiltCli());
    // Every provisioner command ran a recorded node process: apply (2 creates, 1 update, 3 failing creates, 1 re-apply), prune, delete.
    expect(cliRuns.filter((p) => p.argv[2] === "apply").length).toBeGreaterThanOrEqual(7);
    expect(cliRuns.some((p) => p.argv[2] === "prune")).toBe(true);
    expect(cliRuns.some((p) => p.argv[2] === "delete")).toBe(true);
    expect(procs.shimRuns().length).toBe(node.filter((p) => p.ppid !== process.pid).length);
    // The API key arrives through the inherited environment, and only there.
    for (const p of cliRuns) expect(p.env.TUCO_API_KEY).toBe(API_KEY);
    // No node process started anything (no age binary, no shell) but drift's `terraform show -json`, which reads the
    // stack instance from the state and gets no API key.
    for (const s of procs.spawns()) {
      expect([s.command, ...s.args.slice(1)], JSON.stringify(s.args)).toEqual(["terraform", "show", "-json"]);
      expect(s.env?.TUCO_API_KEY).toBeUndefined();
    }

    const runs = ws.runs.flatMap((r, i): Artifact[] => [
      { name: `terraform run ${i + 1} (${r.args.slice(1, 3).join(" ")}) argv`, text: r.args.join("\0") },
      { name: `terraform run ${i + 1} (${r.args.slice(1, 3).join(" ")}) stdout`, text: r.stdout },
      { name: `terraform run ${i + 1} (${r.args.slice(1, 3).join(" ")}) stderr`, text: r.stderr },
    ]);
    const report = expectNoLeaks(everything, [
      { name: "workspace", dir: ws.root },
      ...runs,
      ...printed,
      { name: "emulator request log", text: JSON.stringify(await control.requests()) },
      ...procs.argvArtifacts(),
      ...procs.envArtifacts(["TUCO_API_KEY"]),
    ]);
    // The API key's own variable must not carry a webhook secret either.
    expectNoLeaks(secrets, procs.envArtifactsOf(["TUCO_API_KEY"]));

    // What the scan covered: state and its backup, every plan, the synthesized JSON, the sealed files, terraform's debug log.
    const files = report.artifacts.filter((a) => a.startsWith("workspace/")).map((a) => a.slice("workspace/".length));
    const stackFiles = `cdktf.out/stacks/${STACK}/`;
    for (const f of ["terraform.tfstate", "terraform.tfstate.backup", "cdk.tf.json", "create.tfplan", "update.tfplan", "destroy.tfplan"]) expect(files).toContain(stackFiles + f);
    for (const f of sealedFiles) expect(files).toContain(`sealed/${f}`);
    expect(files).toContain("terraform-debug.log");
    expect(fs.statSync(path.join(ws.root, "terraform-debug.log")).size).toBeGreaterThan(10_000);
    expect(report.artifacts.filter((a) => a.startsWith("argv of node pid")).length).toBe(node.length);
  });
});
