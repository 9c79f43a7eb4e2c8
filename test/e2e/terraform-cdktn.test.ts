/**
 * A CDK Terrain (cdktn) app's webhooks on real Terraform: `tuco-webhooks/cdktn` synthesized by
 * cdktn 0.24 (terraform_data), applied offline by `terraform` 1.11, the provisioners running the
 * built CLI against the emulator; `tuco-webhooks drift` reads the cdktn-synthesized stack and its
 * state. Every assertion reads the emulator's API and request log. test/e2e/terraform.test.ts
 * runs the full story under cdktf; this is the lifecycle that shows cdktn's is the same.
 *
 * The steps share one stack and run in order (each one starts from the state the previous left).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as cdktn from "cdktn";
import { Construct } from "constructs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoClient } from "../../src/api/client";
import type { Webhook } from "../../src/api/types";
import { TucoWebhook, type TucoWebhookProps } from "../../src/cdktn";
import { EmulatorControl, startEmulator, type LoggedRequest, type RunningEmulator } from "../../src/emulator";
import { verifyTucoSignature } from "../../src/receiver";
import { ageDecrypt, ageKeypair } from "../helpers/age";
import { markedStackKey, readDescription } from "../helpers/markers";
import { requireBuiltCli, runCli } from "../helpers/process";
import { startReceiver, type TestReceiver } from "../helpers/receiver";
import { expectNoLeaks } from "../helpers/secret-scan";
import { TerraformWorkspace } from "../helpers/terraform";

const STEP_MS = 60_000;
const API_KEY = `tuco_sk_cdktn_${crypto.randomBytes(12).toString("hex")}`;
const STACK = "terrain";

let emulator: RunningEmulator;
let control: EmulatorControl;
let client: TucoClient;
let receiver: TestReceiver;
let ws: TerraformWorkspace;
let age: { identityFile: string; recipient: string };
let env: NodeJS.ProcessEnv;
let stackDir: string;
let bystander: Webhook;
const ids = new Map<string, string>();
const secrets = new Map<string, string>();

type Props = Omit<TucoWebhookProps, "recipients" | "sealedSecretPath">;

const sealedFile = (key: string) => path.join(ws.root, "sealed", `${key.replace(/\//g, "__")}.age`);

/** Synthesizes the stack with cdktn: a webhook per key ("team/name" nests it), sealed under <root>/sealed. */
function synth(declared: Record<string, Props>): string {
  return ws.synth(
    STACK,
    (stack) => {
      for (const [key, props] of Object.entries(declared)) {
        const parts = key.split("/");
        const scope = parts.slice(0, -1).reduce<Construct>((s, part) => (s.node.tryFindChild(part) as Construct | undefined) ?? new Construct(s, part), stack);
        new TucoWebhook(scope, parts[parts.length - 1], { ...props, recipients: [age.recipient], sealedSecretPath: sealedFile(key) });
      }
    },
    { library: cdktn },
  );
}

/** The live webhooks of the stack, by key. */
async function owned(): Promise<Map<string, Webhook>> {
  const byKey = new Map<string, Webhook>();
  for (const w of await client.list()) {
    const owner = markedStackKey(w.description);
    if (owner?.stack === STACK) byKey.set(owner.key, w);
  }
  return byKey;
}

async function lastSeq(): Promise<number> {
  const log = await control.requests();
  return log.length ? log[log.length - 1].seq : 0;
}

async function writesSince(seq: number): Promise<string[]> {
  return (await control.requests()).filter((r: LoggedRequest) => r.seq > seq && r.method !== "GET").map((r) => `${r.method} ${r.path}`);
}

let CRM: Props;
let LEDGER: Props;

beforeAll(async () => {
  requireBuiltCli();
  ws = TerraformWorkspace.create("tuco-tf-cdktn-");
  age = ageKeypair(ws.root);
  emulator = await startEmulator({ port: 0 });
  control = new EmulatorControl(emulator.url);
  client = new TucoClient({ apiKey: API_KEY, apiUrl: emulator.url });
  receiver = await startReceiver();
  env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: API_KEY };
  CRM = { name: "CRM events", url: `${receiver.origin}/crm`, events: ["message.sent"], description: "Feeds the CRM ${not_a_template}" };
  LEDGER = { name: "Ledger", url: `${receiver.origin}/ledger`, events: ["message.failed"], healthCheck: "warn" };
  // A hand-made webhook of the same name, which the stack must never touch.
  bystander = await client.get((await client.create({ url: `${receiver.origin}/hand`, events: ["message.sent"], name: "CRM events" })).id);
});

afterAll(async () => {
  await client?.close();
  await receiver?.close();
  await emulator?.close();
  ws?.dispose();
});

describe("TucoWebhook from tuco-webhooks/cdktn on real Terraform (terraform_data, offline)", () => {
  test("cdktn synthesizes terraform_data only; the first apply creates each webhook, health-checks it and seals its secret", { timeout: STEP_MS }, async () => {
    const mark = await lastSeq();
    stackDir = synth({ crm: CRM, "billing/ledger": LEDGER });
    const doc = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as { "//": { metadata: { version: string } }; resource: Record<string, unknown> };
    expect(doc["//"].metadata.version).toBe("0.24.0");
    expect(Object.keys(doc.resource)).toEqual(["terraform_data"]);
    await ws.init(stackDir, { env });
    await ws.apply(stackDir, { env });

    const live = await owned();
    expect([...live.keys()].sort()).toEqual(["billing/ledger", "crm"]);
    expect(live.get("crm")).toMatchObject({ name: "CRM events", url: `${receiver.origin}/crm`, events: ["message.sent"], isActive: true });
    expect(readDescription(live.get("crm")!.description).description).toBe("Feeds the CRM ${not_a_template}");
    for (const [key, w] of live) ids.set(key, w.id);
    const writes = await writesSince(mark);
    expect(writes.filter((w) => w === "POST /api/webhooks")).toHaveLength(2);
    for (const id of ids.values()) expect(writes).toContain(`POST /api/webhooks/${id}/health-check`);
    for (const key of ids.keys()) secrets.set(key, ageDecrypt(sealedFile(key), age.identityFile));

    const before = receiver.received.length;
    await control.fireEvent(API_KEY, "message.sent");
    const delivery = receiver.received.slice(before).find((r) => r.path === "/crm")!;
    expect(verifyTucoSignature(delivery.rawBody, delivery.headers["x-tuco-signature"], secrets.get("crm")!)).toBe(true);
    expect((await ws.plan(stackDir, { env })).code).toBe(0);
  });

  test("drift reads the cdktn stack and its instance from the state, finds a change made in Tuco and --fix puts it back", { timeout: STEP_MS }, async () => {
    await client.update(ids.get("crm")!, { url: `${receiver.origin}/hijacked` });
    expect((await ws.plan(stackDir, { env })).code).toBe(0);
    const drift = await runCli(["drift", stackDir], env);
    expect(drift.code, drift.stderr).toBe(2);
    expect(drift.stdout).toContain(`~ webhook crm (${ids.get("crm")}): url "${receiver.origin}/hijacked" -> "${receiver.origin}/crm"`);
    const fixed = await runCli(["drift", stackDir, "--fix"], env);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect((await client.get(ids.get("crm")!)).url).toBe(`${receiver.origin}/crm`);
    const clean = await runCli(["drift", stackDir], env);
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toContain(`Stack "${STACK}": 2 webhooks in sync, no drift.`);
  });

  test("changing url, events and description patches the same webhook in place and keeps its secret", { timeout: STEP_MS }, async () => {
    const sealed = fs.readFileSync(sealedFile("crm"));
    const mark = await lastSeq();
    stackDir = synth({ crm: { ...CRM, url: `${receiver.origin}/crm2`, events: ["message.reply", "message.sent"], description: "v2" }, "billing/ledger": LEDGER });
    const plan = await ws.plan(stackDir, { env });
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/terraform_data\.crm must be replaced/);
    await ws.apply(stackDir, { env });

    const live = await owned();
    expect(live.get("crm")).toMatchObject({ id: ids.get("crm"), url: `${receiver.origin}/crm2`, events: ["message.reply", "message.sent"] });
    expect(readDescription(live.get("crm")!.description).description).toBe("v2");
    expect(live.get("billing/ledger")!.id).toBe(ids.get("billing/ledger"));
    const writes = await writesSince(mark);
    expect(writes.filter((w) => !w.endsWith("/health-check"))).toEqual([`PATCH /api/webhooks/${ids.get("crm")}`]);
    expect(fs.readFileSync(sealedFile("crm")).equals(sealed)).toBe(true);

    const before = receiver.received.length;
    await control.fireEvent(API_KEY, "message.reply");
    const delivery = receiver.received.slice(before).find((r) => r.path === "/crm2")!;
    expect(verifyTucoSignature(delivery.rawBody, delivery.headers["x-tuco-signature"], secrets.get("crm")!)).toBe(true);
    expect((await ws.plan(stackDir, { env })).code).toBe(0);
  });

  test("terraform destroy deletes every webhook of the stack and nothing else", { timeout: STEP_MS }, async () => {
    const mark = await lastSeq();
    await ws.destroy(stackDir, { env });
    expect((await owned()).size).toBe(0);
    expect((await writesSince(mark)).sort()).toEqual([...ids.values()].map((id) => `DELETE /api/webhooks/${id}`).sort());
    // Its deliveries move lastTriggeredAt; what a write would change stays as it was.
    const declared = ({ id, url, events, name, description, isActive, updatedAt }: Webhook) => ({ id, url, events, name, description, isActive, updatedAt });
    expect(declared(await client.get(bystander.id))).toEqual(declared(bystander));
  });

  test("no API key or webhook secret in the state, the synthesized JSON, or anything terraform printed", () => {
    expect(secrets.size).toBe(2);
    const report = expectNoLeaks(
      [{ label: "API key", value: API_KEY }, ...[...secrets].map(([key, value]) => ({ label: `secret of ${key}`, value }))],
      [
        { name: "cdktf.out", dir: path.join(ws.root, "cdktf.out") },
        ...ws.runs.flatMap((r, i) => [
          { name: `terraform run ${i + 1} stdout`, text: r.stdout },
          { name: `terraform run ${i + 1} stderr`, text: r.stderr },
        ]),
      ],
    );
    expect(report.artifacts).toContain(`cdktf.out/stacks/${STACK}/terraform.tfstate`);
  });
});
