/**
 * Ownership on real Terraform (terraform_data, offline): two apps naming their stack alike in one
 * workspace (two Terraform states), a lost state, and a run cancelled (SIGINT) while a provisioner
 * creates a webhook, at four of its steps, and a destroy after a cancelled run. Each stack instance's webhooks are its own; nothing is duplicated, nothing
 * another state owns is patched or deleted, and every sealed secret signs.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { TerraformStack } from "cdktf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoClient } from "../../src/api/client";
import { TucoWebhook, TucoWebhookPrune, type TucoWebhookProps } from "../../src/cdktf";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { readDescription } from "../../src/webhook/ownership";
import { ageDecrypt, ageKeypair } from "../helpers/age";
import { pauseAt, requireBuiltCli, runCli, start } from "../helpers/process";
import { expectSignsLastDelivery, startReceiver, type TestReceiver } from "../helpers/receiver";
import { TerraformWorkspace } from "../helpers/terraform";

const STEP_MS = 90_000;
let emulator: RunningEmulator;
let control: EmulatorControl;
let receiver: TestReceiver;
let ws: TerraformWorkspace;
let age: { identityFile: string; recipient: string };

beforeAll(async () => {
  requireBuiltCli();
  ws = TerraformWorkspace.create("tuco-tf-ownership-");
  age = ageKeypair(ws.root);
  emulator = await startEmulator({ port: 0 });
  control = new EmulatorControl(emulator.url);
  receiver = await startReceiver(200);
});
afterAll(async () => {
  await receiver?.close();
  await emulator?.close();
  ws?.dispose();
});

/** One app: a folder of its own (its own Terraform state) with one stack named `stack`. */
function app(name: string, stack: string, webhooks: Record<string, Partial<TucoWebhookProps>>): string {
  return ws.synth(
    stack,
    (s: TerraformStack) => {
      TucoWebhookPrune.of(s, "terraform_data");
      for (const [id, props] of Object.entries(webhooks)) {
        new TucoWebhook(s, id, {
          name: id,
          url: `${receiver.url}/${name}/${id}`,
          events: ["message.sent"],
          recipients: [age.recipient],
          resourceType: "terraform_data",
          sealedSecretPath: path.join(ws.root, name, "sealed", `${id}.age`),
          ...props,
        });
      }
    },
    { outdir: `${name}/cdktf.out` },
  );
}

function workspace() {
  const apiKey = `tuco_sk_tf_own_${crypto.randomBytes(8).toString("hex")}`;
  const env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: apiKey };
  return { apiKey, env, client: new TucoClient({ apiUrl: emulator.url, apiKey }) };
}

/** The sealed file holds the secret that signs the last event or ping Tuco sent to `url`. */
function expectSealedSecretSigns(file: string, url: string): void {
  expectSignsLastDelivery(receiver, url, ageDecrypt(file, age.identityFile));
}

describe("two apps whose stacks are both called prod, in one workspace", () => {
  test("with different construct ids: each prunes only its own webhooks; the other's plan and drift stay clean", { timeout: STEP_MS }, async () => {
    const { env, client } = workspace();
    try {
      const a = app("a1", "prod", { crm: {} });
      await ws.init(a, { env });
      await ws.apply(a, { env });
      const b = app("b1", "prod", { billing: {} });
      await ws.init(b, { env });
      await ws.apply(b, { env });
      expect((await client.list()).map((w) => w.name).sort()).toEqual(["billing", "crm"]);
      // B drops its webhook: its prune deletes B's only.
      app("b1", "prod", {});
      await ws.apply(b, { env });
      expect((await client.list()).map((w) => w.name)).toEqual(["crm"]);
      expect((await ws.plan(a, { env })).code).toBe(0);
      const drift = await runCli(["drift", a], ws.env(env));
      expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    } finally {
      await client.close();
    }
  });

  test("with the same construct id: the second app's apply fails naming the first's webhook and how to take it over; nothing is patched", { timeout: STEP_MS }, async () => {
    const { env, client, apiKey } = workspace();
    try {
      const a = app("a2", "prod", { crm: {} });
      await ws.init(a, { env });
      await ws.apply(a, { env });
      const [theirs] = await client.list();
      const b = app("b2", "prod", { crm: {} });
      await ws.init(b, { env });
      const seq = (await control.requests()).length;
      const failed = await ws.apply(b, { env, okCodes: [1] });
      const said = failed.stderr.replace(/\s+/g, " ");
      expect(said).toMatch(new RegExp(`Not creating webhook "crm" for stack prod key crm: ${theirs.id} .* carries the marker of stack prod key crm of stack instance`));
      expect(said).toMatch(new RegExp(`tuco-webhooks adopt --id ${theirs.id} --stack prod --key crm --instance [\\w-]+`));
      const writes = (await control.requests()).slice(seq).filter((r) => r.method !== "GET" && r.workspace === crypto.createHash("sha256").update(apiKey).digest("hex").slice(0, 8));
      expect(writes).toEqual([]);
      expect(await client.list()).toEqual([await client.get(theirs.id)]);
      expect((await client.get(theirs.id)).url).toBe(`${receiver.url}/a2/crm`);
    } finally {
      await client.close();
    }
  });
});

describe("a lost Terraform state", () => {
  test("the next apply refuses to duplicate and names the adopt command; after it, the same webhook is kept, its sealed secret still good", { timeout: STEP_MS }, async () => {
    const { env, client } = workspace();
    try {
      const dir = app("lost", "shop", { crm: {} });
      await ws.init(dir, { env });
      await ws.apply(dir, { env });
      const [webhook] = await client.list();
      for (const f of fs.readdirSync(dir).filter((f) => f.startsWith("terraform.tfstate"))) fs.rmSync(path.join(dir, f));

      const refused = await ws.apply(dir, { env, okCodes: [1] });
      const said = refused.stderr.replace(/\s+/g, " ");
      const adopt = new RegExp(`tuco-webhooks adopt --id ${webhook.id} --stack shop --key crm --instance ([\\w-]+)`).exec(said);
      expect(adopt, said).not.toBeNull();
      expect((await client.list()).map((w) => w.id)).toEqual([webhook.id]);

      const adopted = await runCli(["adopt", "--id", webhook.id, "--stack", "shop", "--key", "crm", "--instance", adopt![1]], env);
      expect(adopted.code, adopted.stderr).toBe(0);
      await ws.apply(dir, { env });
      expect((await client.list()).map((w) => w.id)).toEqual([webhook.id]);
      expect(readDescription((await client.get(webhook.id)).description).marker).toMatchObject({ owner: { instance: adopt![1] }, id: webhook.id });
      expectSealedSecretSigns(path.join(ws.root, "lost", "sealed", "crm.age"), `${receiver.url}/lost/crm`);
    } finally {
      await client.close();
    }
  });
});

/** Where a cancelled run stops the create, what drift then reports, and what the next apply says it did. */
const CANCELLED_AT = [
  { step: "after POST /api/webhooks", drift: { status: "unfinished", finish: "replace" }, next: /finishing an interrupted create: webhook (\w+) was created but never confirmed .*: deleted it/, sameWebhook: false },
  { step: "before rename .age", drift: { status: "unfinished", finish: "replace" }, next: /removed .*\.tmp, left by an interrupted seal/, sameWebhook: false },
  { step: "before PATCH /api/webhooks/", drift: { status: "unfinished", finish: "confirm" }, next: /finishing an interrupted create: webhook (\w+) was never confirmed, but its secret is sealed/, sameWebhook: true },
  { step: "before POST /api/webhooks/", drift: { status: "in-sync" }, next: /is in sync: nothing to change/, sameWebhook: true },
] as const;

describe("terraform apply cancelled while a provisioner creates a webhook", () => {
  test.each(CANCELLED_AT.map((c) => [c.step, c] as const))(
    "%s: terraform kills the provisioner; drift reports what it left; the next apply finishes with one confirmed webhook whose sealed secret signs",
    { timeout: STEP_MS },
    async (_step, { step, drift: reported, next, sameWebhook }) => {
      const { env, client } = workspace();
      const name = `cancelled-${CANCELLED_AT.findIndex((c) => c.step === step)}`;
      try {
        const dir = app(name, "shop", { crm: {} });
        await ws.init(dir, { env });
        const apply = start("terraform", [`-chdir=${dir}`, "apply", "-input=false", "-no-color", "-auto-approve"], ws.env({ ...env, ...pauseAt(step) }));
        await apply.waitFor(/tuco-test-pause: /);
        const halted = await apply.kill("SIGINT");
        expect(halted.code).not.toBe(0);
        const [left] = await client.list();

        const drift = await runCli(["drift", dir, "--json"], ws.env(env));
        expect(drift.code, drift.stderr).toBe(reported.status === "in-sync" ? 0 : 2);
        expect(JSON.parse(drift.stdout).webhooks).toEqual([{ key: "crm", id: left.id, changes: [], ...reported }]);

        const again = await ws.apply(dir, { env });
        expect(again.stdout).toMatch(next);
        const [kept, ...others] = await client.list();
        expect(others).toEqual([]);
        expect(kept.id === left.id).toBe(sameWebhook);
        expect(readDescription(kept.description).marker?.id).toBe(kept.id);
        expectSealedSecretSigns(path.join(ws.root, name, "sealed", "crm.age"), `${receiver.url}/${name}/crm`);
        expect((await runCli(["drift", dir], ws.env(env))).code).toBe(0);
        expect(fs.readdirSync(path.join(ws.root, name, "sealed"))).toEqual(["crm.age"]);
      } finally {
        await client.close();
      }
    },
  );
});

describe("terraform destroy after an interrupted run, whose tainted resources run no destroy provisioner", () => {
  test("after a cancelled first apply: the instance's sweep deletes the webhook the cancelled create left, and the next apply starts clean", { timeout: STEP_MS }, async () => {
    const { env, client } = workspace();
    try {
      const dir = app("swept-first", "shop", { crm: {} });
      await ws.init(dir, { env });
      const apply = start("terraform", [`-chdir=${dir}`, "apply", "-input=false", "-no-color", "-auto-approve"], ws.env({ ...env, ...pauseAt("before POST /api/webhooks/") }));
      await apply.waitFor(/tuco-test-pause: /);
      expect((await apply.kill("SIGINT")).code).not.toBe(0);
      expect(await client.list()).toHaveLength(1);
      await ws.destroy(dir, { env });
      expect(await client.list()).toEqual([]);
      await ws.apply(dir, { env });
      const [crm, ...more] = await client.list();
      expect(more).toEqual([]);
      expectSealedSecretSigns(path.join(ws.root, "swept-first", "sealed", "crm.age"), `${receiver.url}/swept-first/crm`);
      expect(readDescription(crm.description).marker?.id).toBe(crm.id);
    } finally {
      await client.close();
    }
  });

  test("after a rename cancelled at the prune: destroy deletes the old key's webhook too", { timeout: STEP_MS }, async () => {
    const { env, client } = workspace();
    try {
      const dir = app("swept-rename", "shop", { crm: {} });
      await ws.init(dir, { env });
      await ws.apply(dir, { env });
      app("swept-rename", "shop", { crm2: {} });
      const apply = start("terraform", [`-chdir=${dir}`, "apply", "-input=false", "-no-color", "-auto-approve"], ws.env({ ...env, ...pauseAt("before DELETE /api/webhooks/") }));
      await apply.waitFor(/tuco-test-pause: /);
      expect((await apply.kill("SIGINT")).code).not.toBe(0);
      expect((await client.list()).map((w) => w.name).sort()).toEqual(["crm", "crm2"]);
      await ws.destroy(dir, { env });
      expect(await client.list()).toEqual([]);
    } finally {
      await client.close();
    }
  });
});

