/**
 * Ownership through the built CLI, as an unlucky operator or an attacker meets it: edits of the
 * description in the Tuco app, copied and typed markers, another stack instance with the same stack
 * name and key, a Pulumi-managed webhook, and concurrent runs of one stack and key.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoClient } from "../../src/api/client";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { checkTucoSignature } from "../../src/receiver/signature";
import { readDescription, withMarker } from "../../src/webhook/ownership";
import { freshKey, requestsOf, writes } from "./helpers";
import { ageDecrypt, ageKeypair, requireAgeBinary, type AgeKeypair } from "../helpers/age";
import { freshInstance, ownedDescription } from "../helpers/markers";
import { requireBuiltCli, runCli, type ProcessRun } from "../helpers/process";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

let emulator: RunningEmulator;
let control: EmulatorControl;
let receiver: TestReceiver;
let dir: string;
let alice: AgeKeypair & { identityFile: string };

beforeAll(async () => {
  requireBuiltCli();
  requireAgeBinary();
  emulator = await startEmulator({ port: 0 });
  control = new EmulatorControl(emulator.url);
  receiver = await startReceiver(200);
  dir = await mkdtemp(join(tmpdir(), "tuco-ownership-"));
  alice = ageKeypair(dir, "alice.txt");
});
afterAll(async () => {
  await receiver?.close();
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** One workspace (API key), one stack instance, and a client to look at the API directly. */
async function workspace() {
  const apiKey = freshKey();
  const instance = freshInstance();
  const client = new TucoClient({ apiUrl: emulator.url, apiKey });
  const env = (i = instance) => ({ TUCO_API_URL: emulator.url, TUCO_API_KEY: apiKey, TUCO_STACK_INSTANCE: i });
  const spec = (key: string, extra: Record<string, unknown> = {}) => ({
    stack: "prod",
    key,
    name: key,
    url: `${receiver.url}/${key}`,
    events: ["message.sent"],
    description: "CRM sync",
    seal: { recipients: [alice.recipient], path: join(dir, instance, `${key}.age`) },
    ...extra,
  });
  const apply = (s: unknown, i = instance): Promise<ProcessRun> => runCli(["apply", "--spec", JSON.stringify(s), "--json"], env(i));
  return { apiKey, instance, client, env, spec, apply, close: () => client.close() };
}

const result = (run: ProcessRun) => JSON.parse(run.stdout) as { action: string; id: string; changed: string[]; sealedSecretPath: string | null };

describe("an edit of the description in the Tuco app", () => {
  test("a note added after the marker: still owned; apply puts the declared description back on the same webhook", async () => {
    const w = await workspace();
    try {
      const { id } = result(await w.apply(w.spec("crm")));
      const live = await w.client.get(id);
      await w.client.update(id, { description: `${live.description}\nnote: paused on Friday` });
      const again = await w.apply(w.spec("crm"));
      expect(again.code, again.stderr).toBe(0);
      expect(result(again)).toMatchObject({ action: "updated", id, changed: ["description"] });
      expect((await w.client.list()).map((x) => x.id)).toEqual([id]);
      expect((await w.client.get(id)).description).toBe(ownedDescription("CRM sync", { stack: "prod", key: "crm", instance: w.instance }, id));
    } finally {
      await w.close();
    }
  });

  test("whitespace around the marker (a trailing newline, spaces): still owned and in sync", async () => {
    const w = await workspace();
    try {
      const { id } = result(await w.apply(w.spec("crm")));
      const live = await w.client.get(id);
      await w.client.update(id, { description: `  ${live.description!.replace("\n\n", " \n\n  ")}\n \n` });
      const again = await w.apply(w.spec("crm"));
      expect(again.code, again.stderr).toBe(0);
      expect(result(again)).toMatchObject({ action: "unchanged", id });
      expect((await w.client.list()).map((x) => x.id)).toEqual([id]);
    } finally {
      await w.close();
    }
  });

  test("the marker removed: apply refuses to make a second webhook with the same url and name, names it and the adopt way; adopt, then apply keeps it", async () => {
    const w = await workspace();
    try {
      const { id } = result(await w.apply(w.spec("crm")));
      await w.client.update(id, { description: "CRM sync" });
      const refused = await w.apply(w.spec("crm"));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`Not creating webhook "crm" for stack prod key crm: ${id} \\(name "crm", url ".*"\\) carries no marker of this stack .*same url under the same name`));
      expect(refused.stderr).toContain(`tuco-webhooks adopt --id ${id} --stack prod --key crm --instance ${w.instance}`);
      expect((await w.client.list()).map((x) => x.id)).toEqual([id]);

      const adopt = await runCli(["adopt", "--id", id, "--stack", "prod", "--key", "crm"], w.env());
      expect({ code: adopt.code, stdout: adopt.stdout, stderr: adopt.stderr }).toEqual({
        code: 0,
        stdout: "",
        stderr: `tuco-webhooks adopt: adopted webhook ${id}: it now carries the marker of stack prod key crm instance ${w.instance}; its signing secret stays unknown (Tuco returns it only once), so no sealed file is written\n`,
      });
      // Adopting it again does nothing, and says so in one line.
      const twice = await runCli(["adopt", "--id", id, "--stack", "prod", "--key", "crm"], w.env());
      expect({ code: twice.code, stdout: twice.stdout, stderr: twice.stderr }).toEqual({
        code: 0,
        stdout: "",
        stderr: `tuco-webhooks adopt: webhook ${id} already carries the marker of stack prod key crm instance ${w.instance}: nothing to adopt\n`,
      });
      const again = await w.apply(w.spec("crm"));
      expect(again.code, again.stderr).toBe(0);
      expect(result(again)).toMatchObject({ action: "unchanged", id });
      // The secret was never lost: the sealed file from the first create still opens to it.
      await w.client.healthCheck(id);
      const ping = receiver.received.at(-1)!;
      expect(checkTucoSignature(ping.rawBody, ping.headers["x-tuco-signature"], ageDecrypt(w.spec("crm").seal.path, alice.identityFile))).toEqual({ ok: true });
    } finally {
      await w.close();
    }
  });
});

describe("markers that are not the webhook's own", () => {
  test("a hand-made webhook with a copy of the managed one's marker is neither deleted nor patched by apply", async () => {
    const w = await workspace();
    try {
      const { id } = result(await w.apply(w.spec("crm")));
      const copy = await w.client.create({ url: `${receiver.url}/elsewhere`, events: ["message.reply"], name: "hand-made", description: (await w.client.get(id)).description! });
      const before = (await requestsOf(control, w.apiKey)).length;
      const again = await w.apply(w.spec("crm"));
      expect(again.code, again.stderr).toBe(0);
      expect(result(again)).toMatchObject({ action: "unchanged", id });
      expect(writes((await requestsOf(control, w.apiKey)).slice(before)).filter((r) => r.path.includes(copy.id))).toEqual([]);
      expect((await w.client.list()).map((x) => x.id).sort()).toEqual([id, copy.id].sort());
    } finally {
      await w.close();
    }
  });

  test("a webhook a Pulumi stack manages cannot be adopted by a CDKTF stack; the error says who owns it", async () => {
    const w = await workspace();
    try {
      const pulumiOwned = await w.client.create({ url: `${receiver.url}/pulumi`, events: ["message.sent"], name: "pulumi" });
      await w.client.update(pulumiOwned.id, { description: withMarker(null, { owner: { tool: "pulumi", pulumi: "shop/prod", resource: "0123456789abcdef" }, id: pulumiOwned.id }) });
      const adopt = await runCli(["adopt", "--id", pulumiOwned.id, "--stack", "prod", "--key", "crm"], w.env());
      expect(adopt.code).toBe(1);
      expect(adopt.stderr).toMatch(/it is managed by the Pulumi stack shop\/prod \(resource 0123456789abcdef\)/);
      const declared = await w.apply(w.spec("crm", { adoptId: pulumiOwned.id }));
      expect(declared.code).toBe(1);
      expect(declared.stderr).toMatch(/Not adopting webhook .* it is managed by the Pulumi stack shop\/prod/);
      expect(readDescription((await w.client.get(pulumiOwned.id)).description).marker?.owner.tool).toBe("pulumi");
    } finally {
      await w.close();
    }
  });
});

describe("another stack instance with the same stack name", () => {
  test("never patches, adopts or prunes the other instance's webhook; a create in its way fails naming it and how to take it over", async () => {
    const w = await workspace();
    try {
      const { id } = result(await w.apply(w.spec("crm")));
      const other = freshInstance();
      const before = (await requestsOf(control, w.apiKey)).length;
      const clash = await w.apply(w.spec("crm", { url: `${receiver.url}/other-app` }), other);
      expect(clash.code).toBe(1);
      expect(clash.stderr).toMatch(new RegExp(`${id} .* carries the marker of stack prod key crm of stack instance ${w.instance}`));
      expect(clash.stderr).toContain(`--instance ${other}`);
      const pruned = await runCli(["prune", "--stack", "prod", "--keep", "", "--json"], w.env(other));
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(JSON.parse(pruned.stdout).deleted).toEqual([]);
      const destroyed = await runCli(["delete", "--stack", "prod", "--key", "crm", "--json"], w.env(other));
      expect(JSON.parse(destroyed.stdout)).toEqual({ deleted: [], alreadyGone: true });
      expect(writes((await requestsOf(control, w.apiKey)).slice(before))).toEqual([]);

      // Taken over on purpose (a lost Terraform state): the same webhook, now the other instance's; the first no longer owns it.
      const adopt = await runCli(["adopt", "--id", id, "--stack", "prod", "--key", "crm", "--instance", other], w.env());
      expect(adopt.code, adopt.stderr).toBe(0);
      expect(adopt.stderr).toMatch(new RegExp(`adopted webhook ${id} \\(it carried the marker of stack prod key crm of stack instance ${w.instance}\\)`));
      const after = await w.apply(w.spec("crm"), other);
      expect(result(after)).toMatchObject({ action: "unchanged", id });
      const old = await w.apply(w.spec("crm"));
      expect(old.code).toBe(1);
      expect((await w.client.list()).map((x) => x.id)).toEqual([id]);
    } finally {
      await w.close();
    }
  });
});

describe("concurrent runs of one stack and key", () => {
  test("end with one webhook, and every run that reported its secret sealed holds that webhook's secret", async () => {
    const w = await workspace();
    try {
      // Four runs at once on one machine: two sealing to one file (one checkout), two to files of their own.
      const specs = [w.spec("race"), w.spec("race"), w.spec("race", { seal: { recipients: [alice.recipient], path: join(dir, w.instance, "b", "race.age") } }), w.spec("race", { seal: { recipients: [alice.recipient], path: join(dir, w.instance, "c", "race.age") } })];
      const runs = await Promise.all(specs.map((s) => w.apply(s)));
      const live = await w.client.list();
      expect(live).toHaveLength(1);
      await w.client.healthCheck(live[0].id);
      const ping = receiver.received.at(-1)!;
      let sealed = 0;
      runs.forEach((run, i) => {
        if (run.code !== 0) {
          expect(run.stderr, `run ${i}`).toMatch(/tuco-webhooks apply: error: .*(apply again|Apply again)/i);
          return;
        }
        const r = result(run);
        expect(r.id, `run ${i}`).toBe(live[0].id);
        if (r.sealedSecretPath !== null) {
          sealed++;
          expect(checkTucoSignature(ping.rawBody, ping.headers["x-tuco-signature"], ageDecrypt(r.sealedSecretPath, alice.identityFile)), `run ${i}`).toEqual({ ok: true });
        }
      });
      expect(sealed).toBe(1);
    } finally {
      await w.close();
    }
  });
});
