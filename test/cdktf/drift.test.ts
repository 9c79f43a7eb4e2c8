/**
 * `tuco-webhooks drift` on a stack synthesized by cdktf, against the emulator, through the built CLI.
 * The steps share one stack and run in order.
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoClient } from "../../src/api/client";
import { TucoWebhook } from "../../src/cdktf";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { freshInstance, markedStackKey, ownedDescription, readDescription, seedOwned, withMarker } from "../helpers/markers";
import { ageDecrypt, ageKeypair } from "../helpers/age";
import { requireBuiltCli, runCli } from "../helpers/process";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

const API_KEY = `tuco_sk_drift_${crypto.randomBytes(8).toString("hex")}`;
const STEP_MS = 30_000;
/** The stack instance, as the provisioners get it from the Terraform state (no state here: drift is told it). */
const INSTANCE = freshInstance();

let root: string;
let emulator: RunningEmulator;
let control: EmulatorControl;
let client: TucoClient;
let receiver: TestReceiver;
let env: NodeJS.ProcessEnv;
let stackDir: string;
let age: { identityFile: string; recipient: string };

function synth(): string {
  const outdir = path.join(root, "cdktf.out");
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "shop");
  const common = { recipients: [age.recipient], resourceType: "terraform_data" as const, healthCheck: "skip" as const };
  new TucoWebhook(stack, "crm", { ...common, name: "CRM", url: `${receiver.origin}/crm`, events: ["message.sent"], description: "Feeds the CRM", sealedSecretPath: path.join(root, "crm.age") });
  new TucoWebhook(stack, "alerts", { ...common, name: "Alerts", url: `${receiver.origin}/alerts`, events: ["message.failed"], sealedSecretPath: path.join(root, "alerts.age") });
  app.synth();
  return path.join(outdir, "stacks", "shop");
}

async function byKey(): Promise<Map<string, { id: string; url: string; isActive: boolean }>> {
  const out = new Map<string, { id: string; url: string; isActive: boolean }>();
  for (const w of await client.list()) {
    const owner = markedStackKey(w.description);
    if (owner?.stack === "shop") out.set(owner.key, w);
  }
  return out;
}

beforeAll(async () => {
  requireBuiltCli();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "tuco-drift-"));
  age = ageKeypair(root);
  emulator = await startEmulator({ port: 0 });
  control = new EmulatorControl(emulator.url);
  client = new TucoClient({ apiKey: API_KEY, apiUrl: emulator.url });
  receiver = await startReceiver();
  env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: API_KEY, TUCO_STACK_INSTANCE: INSTANCE };
  stackDir = synth();
});

afterAll(async () => {
  await client?.close();
  await receiver?.close();
  await emulator?.close();
});

describe("tuco-webhooks drift", () => {
  test("reports declared webhooks that do not exist as missing and exits 2", { timeout: STEP_MS }, async () => {
    const run = await runCli(["drift", stackDir], env);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toContain("+ webhook alerts: declared but missing");
    expect(run.stdout).toContain("+ webhook crm: declared but missing");
  });

  test("--fix creates the missing ones exactly like apply, sealing their secrets, and exits 0", { timeout: STEP_MS }, async () => {
    const run = await runCli(["drift", stackDir, "--fix"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Fixed: stack "shop" is in sync.');
    const live = await byKey();
    expect([...live.keys()].sort()).toEqual(["alerts", "crm"]);
    // One line per action on stderr, as apply prints them: nothing said twice.
    const actions = (key: string, name: string) => {
      const id = live.get(key)!.id;
      return [
        `tuco-webhooks drift: created webhook ${id} ("${name}"), not yet confirmed: its secret is being sealed`,
        `tuco-webhooks drift: sealed its secret to ${path.join(root, `${key}.age`)} for 1 recipient`,
        `tuco-webhooks drift: confirmed webhook ${id}: it now carries the marker of stack shop key ${key} instance ${INSTANCE}`,
        `tuco-webhooks drift: health-check of webhook ${id} skipped (health-check policy "skip")`,
      ];
    };
    expect(run.stderr.trimEnd().split("\n")).toEqual([...actions("alerts", "Alerts"), ...actions("crm", "CRM")]);
    expect(ageDecrypt(path.join(root, "crm.age"), age.identityFile).length).toBeGreaterThan(16);
  });

  test("exits 0 with no write when the live webhooks match the declaration", { timeout: STEP_MS }, async () => {
    const before = (await control.requests()).length;
    const run = await runCli(["drift", stackDir], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Stack "shop": 2 webhooks in sync, no drift.');
    expect((await control.requests()).slice(before).filter((r) => r.method !== "GET")).toEqual([]);
  });

  test("exits 2 and prints a plan-like diff for changes made outside, and lists owned webhooks no longer declared", { timeout: STEP_MS }, async () => {
    const live = await byKey();
    const crm = live.get("crm")!;
    await client.update(crm.id, { url: `${receiver.origin}/elsewhere`, isActive: false, description: ownedDescription("Edited by hand", { stack: "shop", key: "crm", instance: INSTANCE }, crm.id) });
    const orphan = { id: await seedOwned(client, { stack: "shop", key: "old", instance: INSTANCE }, { url: `${receiver.origin}/old`, events: ["message.sent"], name: "Old" }) };
    const handMade = await client.create({ url: `${receiver.origin}/hand`, events: ["message.sent"], name: "CRM" });
    const otherStack = { id: await seedOwned(client, { stack: "other", key: "crm", instance: INSTANCE }, { url: `${receiver.origin}/other`, events: ["message.sent"], name: "CRM" }) };

    const run = await runCli(["drift", stackDir], env);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toContain(
      `~ webhook crm (${crm.id}): url "${receiver.origin}/elsewhere" -> "${receiver.origin}/crm", description "Edited by hand" -> "Feeds the CRM", isActive false -> true`,
    );
    expect(run.stdout).toContain(`- webhook old (${orphan.id}): owned by this stack instance but no longer declared`);
    expect(run.stdout).not.toContain(handMade.id);
    expect(run.stdout).not.toContain(otherStack.id);
    expect(run.stdout).toMatch(/drift: 1 changed, 0 missing, 0 unfinished, 0 in the way, 1 undeclared, 0 duplicate \(1 in sync\)/);

    const json = await runCli(["drift", stackDir, "--json"], env);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ stack: "shop", instance: INSTANCE, inSync: false, fixed: false });
    expect(report.webhooks).toContainEqual({
      key: "crm",
      status: "drifted",
      id: crm.id,
      changes: [
        { field: "url", live: `${receiver.origin}/elsewhere`, declared: `${receiver.origin}/crm` },
        { field: "description", live: "Edited by hand", declared: "Feeds the CRM" },
        { field: "isActive", live: false, declared: true },
      ],
    });
    expect(report.webhooks).toContainEqual({ key: "old", status: "undeclared", id: orphan.id, changes: [] });
  });

  test("--fix patches the drifted webhook back in place, deletes the undeclared one, and leaves others' alone", { timeout: STEP_MS }, async () => {
    const crmId = (await byKey()).get("crm")!.id;
    const others = (await client.list()).filter((w) => markedStackKey(w.description)?.stack !== "shop");
    const orphanId = (await client.list()).find((w) => markedStackKey(w.description)?.key === "old")!.id;
    const run = await runCli(["drift", stackDir, "--fix"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.trimEnd().split("\n")).toEqual([
      `tuco-webhooks drift: updated webhook ${crmId} (key crm): url, description, isActive`,
      `tuco-webhooks drift: deleted webhook ${orphanId} (key old): owned by this stack instance but no longer declared`,
    ]);
    const live = await byKey();
    expect([...live.keys()].sort()).toEqual(["alerts", "crm"]);
    expect(live.get("crm")).toMatchObject({ id: crmId, url: `${receiver.origin}/crm`, isActive: true });
    expect(readDescription((await client.get(crmId)).description).description).toBe("Feeds the CRM");
    for (const w of others) expect((await client.get(w.id)).updatedAt).toBe(w.updatedAt);
    expect((await runCli(["drift", stackDir], env)).code).toBe(0);
  });

  test("notes added before and after the marker in the Tuco app: still owned; drift shows the user's part, --fix restores it on the same webhook", { timeout: STEP_MS }, async () => {
    const crm = (await byKey()).get("crm")!;
    const marked = (await client.get(crm.id)).description!;
    await client.update(crm.id, { description: `On call: Ana\n${marked}\n\n(paused on Fridays) ` });
    const run = await runCli(["drift", stackDir, "--json"], env);
    expect(run.code, run.stderr).toBe(2);
    expect(JSON.parse(run.stdout).webhooks).toContainEqual({
      key: "crm",
      status: "drifted",
      id: crm.id,
      changes: [{ field: "description", live: "On call: Ana\nFeeds the CRM\n\n(paused on Fridays)", declared: "Feeds the CRM" }],
    });
    const fix = await runCli(["drift", stackDir, "--fix"], env);
    expect(fix.code, fix.stderr).toBe(0);
    expect((await client.get(crm.id)).description).toBe(ownedDescription("Feeds the CRM", { stack: "shop", key: "crm", instance: INSTANCE }, crm.id));
    expect([...(await byKey()).values()].map((w) => w.id)).toContain(crm.id);
  });

  test("the marker removed in the Tuco app: drift names the unmarked look-alike; --fix refuses to make a second one and names the adopt command", { timeout: STEP_MS }, async () => {
    const crm = (await byKey()).get("crm")!;
    await client.update(crm.id, { description: "Feeds the CRM" });
    const run = await runCli(["drift", stackDir], env);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toContain(`! webhook crm (${crm.id}): in the way:`);
    expect(run.stdout).not.toContain("+ webhook crm: declared but missing");
    const before = (await control.requests()).length;
    const fix = await runCli(["drift", stackDir, "--fix"], env);
    expect(fix.code).toBe(1);
    expect(fix.stderr).toContain(crm.id);
    expect(fix.stderr).toContain(`tuco-webhooks adopt --id ${crm.id} --stack shop --key crm --instance ${INSTANCE}`);
    expect((await control.requests()).slice(before).filter((r) => r.method === "POST")).toEqual([]);
    expect((await client.list()).filter((w) => w.url === crm.url)).toHaveLength(1);

    const adopt = await runCli(["adopt", "--id", crm.id, "--stack", "shop", "--key", "crm"], env);
    expect(adopt.code, adopt.stderr).toBe(0);
    expect((await runCli(["drift", stackDir], env)).code).toBe(0);
  });

  test("a stopped create's twin beside the key's own webhook: drift reports it unfinished, --fix deletes it and keeps the webhook", { timeout: STEP_MS }, async () => {
    const crm = (await byKey()).get("crm")!;
    const spec = { url: `${receiver.origin}/crm`, name: "CRM" };
    // The nonce of a process that has ended on this machine: what a run killed mid-create leaves behind.
    const ownership = path.resolve(__dirname, "../../dist/webhook/ownership.js");
    const nonce = execFileSync(process.execPath, ["-e", `process.stdout.write(require(${JSON.stringify(ownership)}).makeCreateNonce(${JSON.stringify(spec)}, Date.now()))`], { encoding: "utf8" });
    const twin = await client.create({ ...spec, events: ["message.sent"], description: withMarker("Feeds the CRM", { owner: { tool: "cdktf", stack: "shop", key: "crm", instance: INSTANCE }, pending: nonce }) });
    const run = await runCli(["drift", stackDir], env);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toContain(`+ webhook crm (${twin.id}): a create that never finished (nobody holds its secret): apply deletes it`);
    const json = JSON.parse((await runCli(["drift", stackDir, "--json"], env)).stdout) as { webhooks: unknown[] };
    expect(json.webhooks).toContainEqual({ key: "crm", status: "unfinished", id: twin.id, changes: [], finish: "replace" });
    expect(json.webhooks).toContainEqual({ key: "crm", status: "in-sync", id: crm.id, changes: [] });
    const fix = await runCli(["drift", stackDir, "--fix"], env);
    expect(fix.code, fix.stderr).toBe(0);
    expect(await client.tryGet(twin.id)).toBeUndefined();
    expect((await byKey()).get("crm")!.id).toBe(crm.id);
  });

  test("whitespace around the marker edited in the Tuco app (a trailing newline, spaces): drift finds it in sync", { timeout: STEP_MS }, async () => {
    const crm = (await byKey()).get("crm")!;
    const marked = (await client.get(crm.id)).description!;
    await client.update(crm.id, { description: ` ${marked.replace("\n\n", "  \n\n ")}\n\n ` });
    expect((await client.get(crm.id)).description).not.toBe(marked);
    const run = await runCli(["drift", stackDir], env);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('Stack "shop": 2 webhooks in sync, no drift.');
  });

  test("a copy of a key's marker on a hand-made webhook, and another stack instance's webhook for the same stack and key: not this stack's; --fix neither patches nor deletes them", { timeout: STEP_MS }, async () => {
    const crm = (await byKey()).get("crm")!;
    const copy = await client.create({ url: `${receiver.origin}/copied`, events: ["message.failed"], name: "CRM copy", description: (await client.get(crm.id)).description! });
    const otherInstance = freshInstance();
    const theirs = await seedOwned(client, { stack: "shop", key: "crm", instance: otherInstance }, { url: `${receiver.origin}/theirs`, events: ["message.opened"], name: "CRM" });
    const untouched = await Promise.all([copy.id, theirs].map((id) => client.get(id)));

    const run = await runCli(["drift", stackDir], env);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).not.toContain(copy.id);
    expect(run.stdout).not.toContain(theirs);
    const fix = await runCli(["drift", stackDir, "--fix"], env);
    expect(fix.code, fix.stderr).toBe(0);
    expect(await Promise.all([copy.id, theirs].map((id) => client.get(id)))).toEqual(untouched);
    expect((await byKey()).get("crm")!.id).toBe(crm.id);
    for (const id of [copy.id, theirs]) await client.delete(id);
  });

  test("fails with exit 1 naming the file when cdk.tf.json was edited by hand", { timeout: STEP_MS }, async () => {
    const bad = path.join(root, "bad");
    fs.mkdirSync(bad);
    const doc = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
    const spec = JSON.parse(doc.resource.terraform_data.crm.triggers_replace.tuco_webhook);
    spec.events = ["message.exploded"];
    doc.resource.terraform_data.crm.triggers_replace.tuco_webhook = JSON.stringify(spec);
    fs.writeFileSync(path.join(bad, "cdk.tf.json"), JSON.stringify(doc));
    const run = await runCli(["drift", bad], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${path.join(bad, "cdk.tf.json")}: resource.terraform_data.crm: events ["message.exploded"] contains unknown event`);
    expect(run.stderr).toContain("cdktf synth");

    fs.writeFileSync(path.join(bad, "cdk.tf.json"), "{ not json");
    const broken = await runCli(["drift", bad], env);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/cdk\.tf\.json: not valid JSON/);

    const missing = await runCli(["drift", path.join(root, "nowhere")], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file: run `cdktf synth` first/);
  });

  test("fails with exit 1 and no API call when the stack declares no webhook or the arguments are wrong", { timeout: STEP_MS }, async () => {
    const empty = path.join(root, "empty");
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, "cdk.tf.json"), JSON.stringify({ resource: {} }));
    const run = await runCli(["drift", empty], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/declares no Tuco webhook/);
    expect((await runCli(["drift"], env)).code).toBe(1);
    // The outdir cdktf synthesized, or its stacks folder, instead of a stack's folder: the stacks it holds, and the command for one.
    for (const folder of [path.join(root, "cdktf.out"), path.join(root, "cdktf.out", "stacks")]) {
      const outdir = await runCli(["drift", folder], env);
      expect({ code: outdir.code, stdout: outdir.stdout }).toEqual({ code: 1, stdout: "" });
      expect(outdir.stderr).toMatch(new RegExp(`^tuco-webhooks drift: error: ${folder}: this is .*, not one stack's, holding the stack shop: run \`tuco-webhooks drift ${stackDir}\`\n$`));
    }
    const help = await runCli(["drift", "--help"], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit codes: 0 in sync");
  });
});
