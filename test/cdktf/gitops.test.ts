/**
 * Runs examples/gitops/pipeline.sh, the stages the CI workflow calls, against the emulator with real
 * terraform (terraform_data): synth, deploy (apply + clean drift check), publish, drift and drift --fix.
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoClient } from "../../src/api/client";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { markedStackKey } from "../helpers/markers";
import { TerraformWorkspace, compileCdktfExample } from "../helpers/terraform";
import { ageDecrypt, ageKeypair } from "../helpers/age";
import { requireBuiltCli, run, type ProcessRun } from "../helpers/process";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

const REPO = path.resolve(__dirname, "../..");
const SCRIPT = path.join(REPO, "examples/gitops/pipeline.sh");
const API_KEY = `tuco_sk_gitops_${crypto.randomBytes(8).toString("hex")}`;

let ws: TerraformWorkspace;
let emulator: RunningEmulator;
let receiver: TestReceiver;
let client: TucoClient;
let age: { identityFile: string; recipient: string };

function stage(name: string, extra: NodeJS.ProcessEnv = {}): Promise<ProcessRun> {
  const env = ws.env({
    TUCO_API_URL: emulator.url,
    TUCO_API_KEY: API_KEY,
    TUCO_AGE_RECIPIENTS: age.recipient,
    TUCO_RECEIVER_URL: receiver.origin,
    TUCO_RESOURCE_TYPE: "terraform_data",
    SKIP_BUILD: "1",
    PUBLISH_DIR: path.join(ws.root, "published"),
    ...extra,
  });
  return run("bash", [SCRIPT, name], env, { cwd: ws.root });
}

beforeAll(async () => {
  requireBuiltCli();
  await compileCdktfExample();
  ws = TerraformWorkspace.create("tuco-gitops-");
  age = ageKeypair(ws.root);
  emulator = await startEmulator({ port: 0 });
  receiver = await startReceiver();
  client = new TucoClient({ apiKey: API_KEY, apiUrl: emulator.url });
});

afterAll(async () => {
  await client?.close();
  await receiver?.close();
  await emulator?.close();
});

describe("examples/gitops/pipeline.sh", () => {
  test("synth, deploy and publish create the stack's webhooks and hand over their sealed secrets", { timeout: 90_000 }, async () => {
    const synth = await stage("synth");
    expect(synth.code, synth.stderr).toBe(0);
    const deploy = await stage("deploy");
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect(deploy.stdout).toContain('Stack "webhooks-prod": 3 webhooks in sync, no drift.');
    const publish = await stage("publish");
    expect(publish.code, publish.stderr).toBe(0);
    expect(publish.stderr).toContain("published 3 sealed secret file(s)");
    expect(ageDecrypt(path.join(ws.root, "published/webhooks-prod/crm.age"), age.identityFile).length).toBeGreaterThan(16);
    const plan = await stage("plan");
    expect(plan.code, plan.stdout).toBe(0);
  });

  test("drift exits 2 on a change made by hand and DRIFT_FIX=1 puts it back", { timeout: 60_000 }, async () => {
    const crm = (await client.list()).find((w) => markedStackKey(w.description)?.key === "crm")!;
    await client.update(crm.id, { isActive: false });
    const drift = await stage("drift");
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain(`~ webhook crm (${crm.id}): isActive false -> true`);
    const fix = await stage("drift", { DRIFT_FIX: "1" });
    expect(fix.code, fix.stderr).toBe(0);
    expect((await client.get(crm.id)).isActive).toBe(true);
    await ws.destroy(path.join(ws.root, "cdktf.out/stacks/webhooks-prod"), { env: { TUCO_API_URL: emulator.url, TUCO_API_KEY: API_KEY } });
    expect((await client.list()).filter((w) => markedStackKey(w.description)?.stack === "webhooks-prod")).toEqual([]);
  });
});
