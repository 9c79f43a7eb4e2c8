/**
 * Ownership through the built CLI, as an unlucky operator or an attacker meets it: edits of the
 * description in the Tuco app, copied and typed markers, another stack instance with the same stack
 * name and key, a Pulumi-managed webhook, and concurrent runs of one stack and key.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoClient } from "../../src/api/client";
import { EmulatorControl, type RunningEmulator } from "../../src/emulator";
import { makeCreateNonce, readDescription, withMarker } from "../../src/webhook/ownership";
import { freshKey, requestsOf, writes, startCliFixture, type CliFixture } from "./helpers";
import { ageDecrypt, type AgeKeypair } from "../helpers/age";
import { freshInstance, ownedDescription } from "../helpers/markers";
import { mergeEnv, onAnotherMachine, pauseAt, type ProcessRun, runCli, startCli } from "../helpers/process";
import { expectSignsLastDelivery, type TestReceiver } from "../helpers/receiver";

let emulator: RunningEmulator;
let control: EmulatorControl;
let receiver: TestReceiver;
let dir: string;
let alice: AgeKeypair & { identityFile: string };

let fixture: CliFixture | undefined;

beforeAll(async () => {
  fixture = await startCliFixture("tuco-ownership-");
  ({ emulator, control, receiver, dir, alice } = fixture);
});
afterAll(() => fixture?.close());

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
        stderr: `tuco-webhooks adopt: adopted webhook ${id}: it now carries the marker of stack prod key crm instance ${w.instance}; its signing secret stays unknown (Tuco returns it only once) unless a sealed file written at its creation holds it: this command writes none\n`,
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
      expectSignsLastDelivery(receiver, w.spec("crm").url, ageDecrypt(w.spec("crm").seal.path, alice.identityFile));
    } finally {
      await w.close();
    }
  });
});

describe("the marker line itself edited in the Tuco app", () => {
  test.each([
    ["its key", (d: string) => d.replace(" key=crm ", " key=crm-old ")],
    ["its stack", (d: string) => d.replace("stack=prod ", "stack=prod2 ")],
    ["its instance", (d: string) => d.replace(/ instance=\S+ /, " instance=someone-else ")],
    ["its id", (d: string) => d.replace(/ id=[0-9a-f]{24}/, " id=0123456789abcdef01234567")],
  ])("%s changed: the marker is broken, not another owner's; apply makes no second webhook, prune and delete leave it, adopt repairs it", async (_what, edit) => {
    const w = await workspace();
    try {
      const { id } = result(await w.apply(w.spec("crm")));
      const edited = edit((await w.client.get(id)).description!);
      await w.client.update(id, { description: edited });
      const listed = JSON.parse((await runCli(["list", "--json"], w.env())).stdout) as { webhooks: { id: string; claim: string }[] };
      expect(listed.webhooks).toEqual([expect.objectContaining({ id, claim: "unreadable" })]);

      // A fresh runner, with no sealed file of the first create.
      const fresh = w.spec("crm", { seal: { recipients: [alice.recipient], path: join(dir, w.instance, "fresh", "crm.age") } });
      const refused = await w.apply(fresh);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`Not creating webhook "crm" for stack prod key crm: ${id} (name "crm"`);
      expect(refused.stderr).toContain(`tuco-webhooks adopt --id ${id} --stack prod --key crm --instance ${w.instance}`);
      expect((await runCli(["prune", "--stack", "prod", "--keep", "billing"], w.env())).code).toBe(0);
      expect((await runCli(["prune", "--stack", "prod2", "--keep", ""], w.env())).code).toBe(0);
      expect((await runCli(["delete", "--stack", "prod", "--key", "crm-old"], w.env())).code).toBe(0);
      expect((await w.client.get(id)).description).toBe(edited);

      const adopt = await runCli(["adopt", "--id", id, "--stack", "prod", "--key", "crm"], w.env());
      expect(adopt.code, adopt.stderr).toBe(0);
      expect(result(await w.apply(w.spec("crm")))).toMatchObject({ action: "unchanged", id });
      expect((await w.client.list()).map((x) => x.id)).toEqual([id]);
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

describe("two stack instances creating one stack and key at once (two apps applying together)", () => {
  test("the one whose webhook came second deletes it and fails naming the other's, as it would have one after the other", async () => {
    const w = await workspace();
    const resume = join(dir, `${w.instance}.second.resume`);
    try {
      const other = freshInstance();
      // This instance has listed and found nothing; the other instance's apply then runs to the end.
      const late = startCli(["apply", "--spec", JSON.stringify(w.spec("crm")), "--json"], { ...w.env(), ...pauseAt("before POST /api/webhooks", resume) });
      await late.waitFor(/tuco-test-pause: /);
      const first = await w.apply(w.spec("crm", { seal: { recipients: [alice.recipient], path: join(dir, other, "crm.age") } }), other);
      expect(first.code, first.stderr).toBe(0);
      await writeFile(resume, "");
      const second = await late.done;
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`webhook ${result(first).id} appeared while this run created its own: deleted this run's \\w+, whose secret was never sealed`));
      expect(second.stderr).toContain(`Not creating webhook "crm" for stack prod key crm: ${result(first).id} (name "crm"`);
      expect((await w.client.list()).map((x) => x.id)).toEqual([result(first).id]);
      await w.client.healthCheck(result(first).id);
      expectSignsLastDelivery(receiver, w.spec("crm").url, ageDecrypt(join(dir, other, "crm.age"), alice.identityFile));
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
          expectSignsLastDelivery(receiver, live[0].url, ageDecrypt(r.sealedSecretPath, alice.identityFile), `run ${i}`);
        }
      });
      expect(sealed).toBe(1);
    } finally {
      await w.close();
    }
  });
});

describe("two runs of one key that both list, find nothing, and POST at once", () => {
  test("the later create deletes its own webhook and waits; both end with the older one, whose secret only its own run sealed", { timeout: 20_000 }, async () => {
    const w = await workspace();
    try {
      const runs = ["a", "b"].map((name) => {
        const resume = join(dir, `${w.instance}.${name}.resume`);
        const seal = { recipients: [alice.recipient], path: join(dir, w.instance, name, "both.age") };
        const run = startCli(["apply", "--spec", JSON.stringify(w.spec("both", { seal })), "--json"], { ...w.env(), ...pauseAt("before POST /api/webhooks", resume) });
        return { run, resume };
      });
      // Both have listed and found no webhook for the key; released together, both create one.
      await Promise.all(runs.map(({ run }) => run.waitFor(/tuco-test-pause: /)));
      expect(await w.client.list()).toEqual([]);
      await Promise.all(runs.map(({ resume }) => writeFile(resume, "")));
      const [a, b] = await Promise.all(runs.map(({ run }) => run.done));
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      const [winner, loser] = result(a).action === "created" ? [a, b] : [b, a];
      const live = await w.client.list();
      expect(live.map((x) => x.id)).toEqual([result(winner).id]);
      expect(result(winner)).toMatchObject({ action: "created" });
      expect(result(loser)).toMatchObject({ id: result(winner).id, sealedSecretPath: null });
      expect(loser.stderr).toMatch(/another run created this webhook at the same time .*: deleted this run's \w+, whose secret was never sealed/);
      expectSignsLastDelivery(receiver, w.spec("both").url, ageDecrypt(result(winner).sealedSecretPath!, alice.identityFile));
    } finally {
      await w.close();
    }
  });
});

/** Kills an apply of `spec` right after Tuco answered its POST: a pending webhook whose secret nobody holds. */
async function interruptedCreate(w: Awaited<ReturnType<typeof workspace>>, spec: ReturnType<Awaited<ReturnType<typeof workspace>>["spec"]>) {
  const run = startCli(["apply", "--spec", JSON.stringify(spec)], { ...w.env(), ...pauseAt("after POST /api/webhooks") });
  await run.waitFor(/tuco-test-pause: /);
  await run.kill("SIGKILL");
  const [pending] = await w.client.list();
  expect(readDescription(pending.description).marker?.pending).toBeTruthy();
  return pending;
}

describe("a pending marker that is not its create's own", () => {
  test("copied onto another webhook, it proves nothing: apply, prune and delete never touch the copy; apply names it as in the way", async () => {
    const w = await workspace();
    try {
      const pending = await interruptedCreate(w, w.spec("crm"));
      const copy = await w.client.create({ url: `${receiver.url}/hand-made`, events: ["message.reply"], name: "hand-made", description: pending.description! });
      const listed = JSON.parse((await runCli(["list", "--json"], w.env())).stdout) as { webhooks: { id: string; claim: string }[] };
      expect(listed.webhooks.find((x) => x.id === copy.id)?.claim).toBe("copy");
      expect(listed.webhooks.find((x) => x.id === pending.id)?.claim).toBe("pending");

      const before = (await requestsOf(control, w.apiKey)).length;
      const apply = await w.apply(w.spec("crm"));
      expect(apply.code).toBe(1);
      expect(apply.stderr).toContain(`finishing an interrupted create: webhook ${pending.id} was created but never confirmed`);
      expect(apply.stderr).toMatch(new RegExp(`${copy.id} \\(name "hand-made", url ".*"\\) carries a copy of a marker that is not its own`));
      expect((await runCli(["prune", "--stack", "prod", "--keep", ""], w.env())).code).toBe(0);
      expect((await runCli(["delete", "--stack", "prod", "--key", "crm"], w.env())).code).toBe(0);
      expect(writes((await requestsOf(control, w.apiKey)).slice(before)).filter((r) => r.path.includes(copy.id))).toEqual([]);
      expect((await w.client.list()).map((x) => x.id)).toEqual([copy.id]);
    } finally {
      await w.close();
    }
  });
});

describe("a pending marker written long before its webhook was created", () => {
  test("was copied there by hand (a create's webhook exists within 5 minutes of its start): apply names it as in the way and never deletes it, nor does delete", async () => {
    const w = await workspace();
    try {
      const spec = w.spec("crm");
      const started = Date.now() - 10 * 60_000;
      const marker = { owner: { tool: "cdktf" as const, stack: "prod", key: "crm", instance: w.instance }, pending: makeCreateNonce(spec, started) };
      const late = await w.client.create({ url: spec.url, events: spec.events, name: spec.name, description: withMarker("CRM sync", marker) });
      const listed = JSON.parse((await runCli(["list", "--json"], w.env())).stdout) as { webhooks: { id: string; claim: string }[] };
      expect(listed.webhooks).toEqual([expect.objectContaining({ id: late.id, claim: "copy" })]);
      const apply = await w.apply(spec);
      expect(apply.code).toBe(1);
      expect(apply.stderr).toMatch(new RegExp(`${late.id} \\(name "crm", url ".*"\\) carries a copy of a marker that is not its own`));
      expect((await runCli(["delete", "--stack", "prod", "--key", "crm"], w.env())).code).toBe(0);
      expect((await w.client.list()).map((x) => x.id)).toEqual([late.id]);
    } finally {
      await w.close();
    }
  });
});

describe("a create running on another machine", () => {
  test.each([
    ["3 minutes ahead", 3 * 60_000],
    ["3 minutes behind", -3 * 60_000],
  ])("with a clock %s, a second runner waits for it instead of deleting it; both end with the first's webhook and sealed secret", async (_clock, skewMs) => {
    const w = await workspace();
    const resume = join(dir, `${w.instance}.resume`);
    try {
      const first = startCli(["apply", "--spec", JSON.stringify(w.spec("crm")), "--json"], { ...w.env(), ...pauseAt("before PATCH /api/webhooks/", resume) });
      await first.waitFor(/tuco-test-pause: /);
      const elsewhere = w.spec("crm", { seal: { recipients: [alice.recipient], path: join(dir, w.instance, "elsewhere", "crm.age") } });
      const second = startCli(["apply", "--spec", JSON.stringify(elsewhere), "--json"], { ...w.env(), ...onAnotherMachine(skewMs) });
      await second.waitFor(/waiting for another run that is creating this webhook/);
      await writeFile(resume, "");
      const [a, b] = await Promise.all([first.done, second.done]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      const live = await w.client.list();
      expect(live).toHaveLength(1);
      expect(result(a)).toMatchObject({ action: "created", id: live[0].id });
      expect(result(b)).toMatchObject({ action: "unchanged", id: live[0].id, sealedSecretPath: null });
      expectSignsLastDelivery(receiver, w.spec("crm").url, ageDecrypt(result(a).sealedSecretPath!, alice.identityFile));
    } finally {
      await w.close();
    }
  });
});

describe("a create of another machine that never finishes", () => {
  test("deleted by an operator while a second runner waits for it: the runner, however long it waited, then creates the webhook and seals its secret", async () => {
    const w = await workspace();
    try {
      const first = startCli(["apply", "--spec", JSON.stringify(w.spec("crm"))], mergeEnv(w.env(), onAnotherMachine(), pauseAt("before PATCH /api/webhooks/")));
      await first.waitFor(/tuco-test-pause: /);
      const [stuck] = await w.client.list();
      const second = startCli(["apply", "--spec", JSON.stringify(w.spec("crm")), "--json"], w.env());
      // More polls than a run makes creates before it gives up (five): waiting must not count as losing a race.
      await second.waitFor(/(waiting for another run that is creating this webhook[^\n]*\n[^]*){7}/);
      await first.kill();
      await w.client.delete(stuck.id);
      const run = await second.done;
      expect(run.code, run.stderr).toBe(0);
      const [live, ...more] = await w.client.list();
      expect(more).toEqual([]);
      expect(result(run)).toMatchObject({ action: "created", id: live.id });
      expect(live.id).not.toBe(stuck.id);
      expect(readDescription(live.description).marker?.id).toBe(live.id);
      expectSignsLastDelivery(receiver, w.spec("crm").url, ageDecrypt(result(run).sealedSecretPath!, alice.identityFile));
    } finally {
      await w.close();
    }
  });
});

describe("adopt, on purpose", () => {
  test("is refused for a webhook whose create is still at work (another instance's run, stopped before it confirms); that create then confirms it as its own", async () => {
    const w = await workspace();
    const resume = join(dir, `${w.instance}.adopt.resume`);
    try {
      const run = startCli(["apply", "--spec", JSON.stringify(w.spec("crm")), "--json"], { ...w.env(), ...pauseAt("before PATCH /api/webhooks/", resume) });
      await run.waitFor(/tuco-test-pause: /);
      const [pending] = await w.client.list();
      const other = freshInstance();
      const adopt = await runCli(["adopt", "--id", pending.id, "--stack", "prod", "--key", "crm"], w.env(other));
      expect(adopt.code).toBe(1);
      expect(adopt.stderr).toContain(`Not adopting webhook ${pending.id} (name "crm"`);
      expect(adopt.stderr).toContain("is still at work on it (it is not yet confirmed): let that run finish, or stop it, then adopt again");
      await writeFile(resume, "");
      const done = await run.done;
      expect(done.code, done.stderr).toBe(0);
      expect(readDescription((await w.client.get(pending.id)).description).marker).toMatchObject({ owner: { instance: w.instance }, id: pending.id });
    } finally {
      await w.close();
    }
  });

  test("is refused for a key that already owns a webhook, naming it: the next apply would delete one of the two", async () => {
    const w = await workspace();
    try {
      const { id } = result(await w.apply(w.spec("crm")));
      const other = await w.client.create({ url: `${receiver.url}/other`, events: ["message.sent"], name: "other" });
      const adopt = await runCli(["adopt", "--id", other.id, "--stack", "prod", "--key", "crm"], w.env());
      expect(adopt.code).toBe(1);
      expect(adopt.stderr).toContain(`that key already owns webhook ${id}`);
      expect((await w.client.get(other.id)).description).toBeNull();
      expect(result(await w.apply(w.spec("crm")))).toMatchObject({ action: "unchanged", id });
      expect((await w.client.list()).map((x) => x.id).sort()).toEqual([id, other.id].sort());
    } finally {
      await w.close();
    }
  });

  test.each([
    ["a note that looks like a marker", (marked: string) => `${marked}\n\nsee [tuco-webhooks docs]`],
    ["a marker broken by a double space", (marked: string) => marked.replace("[tuco-webhooks stack", "[tuco-webhooks  stack")],
  ])("repairs a description made unreadable by %s: apply then keeps the same webhook", async (_what, edit) => {
    const w = await workspace();
    try {
      const { id } = result(await w.apply(w.spec("crm")));
      await w.client.update(id, { description: edit((await w.client.get(id)).description!) });
      const refused = await w.apply(w.spec("crm"));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`tuco-webhooks adopt --id ${id} --stack prod --key crm`);
      const adopt = await runCli(["adopt", "--id", id, "--stack", "prod", "--key", "crm"], w.env());
      expect(adopt.code, adopt.stderr).toBe(0);
      expect(adopt.stderr).toContain("removed text that looked like an ownership marker from its description");
      const again = await w.apply(w.spec("crm"));
      expect(again.code, again.stderr).toBe(0);
      expect(result(again)).toMatchObject({ id });
      expect((await w.client.get(id)).description).toBe(ownedDescription("CRM sync", { stack: "prod", key: "crm", instance: w.instance }, id));
    } finally {
      await w.close();
    }
  });
});

describe("a seal path that holds a live webhook's secret", () => {
  test("is never overwritten by another key's create: the apply fails before any write, naming the webhook whose secret it holds", async () => {
    const w = await workspace();
    try {
      const shared = join(dir, w.instance, "shared.age");
      const a = result(await w.apply(w.spec("a", { seal: { recipients: [alice.recipient], path: shared } })));
      const before = (await requestsOf(control, w.apiKey)).length;
      const b = await w.apply(w.spec("b", { seal: { recipients: [alice.recipient], path: shared } }));
      expect(b.code).toBe(1);
      expect(b.stderr).toContain(`its seal path ${shared} holds the secret of live webhook ${a.id}`);
      expect(b.stderr).toContain("Give each webhook its own seal path");
      expect(writes((await requestsOf(control, w.apiKey)).slice(before))).toEqual([]);
      await w.client.healthCheck(a.id);
      expectSignsLastDelivery(receiver, w.spec("a").url, ageDecrypt(shared, alice.identityFile));
    } finally {
      await w.close();
    }
  });
});

describe("delete --id", () => {
  test("refuses a webhook a stack or a Pulumi resource owns unless --force, naming the owner", async () => {
    const w = await workspace();
    try {
      const { id } = result(await w.apply(w.spec("crm")));
      const refused = await runCli(["delete", "--id", id], w.env());
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`webhook ${id} (name "crm") is managed by stack prod key crm of stack instance ${w.instance}`);
      expect(refused.stderr).toContain("--force");
      expect((await w.client.list()).map((x) => x.id)).toEqual([id]);
      const forced = await runCli(["delete", "--id", id, "--force"], w.env());
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stderr).toContain(`webhook ${id} was managed by stack prod key crm`);
      expect(await w.client.list()).toEqual([]);
    } finally {
      await w.close();
    }
  });
});

describe("a create Tuco completes after the CLI gave up waiting for it", () => {
  test("the attempt that got no answer made a webhook after all, once the retry had made another: the one with no known secret is deleted, and the run says so", async () => {
    const w = await workspace();
    try {
      // Tuco answers the first POST 3 s late, after the CLI's 2 s timeout, its list (empty) and its retry.
      await control.addFault({ kind: "latency", latencyMs: 3000, method: "POST", path: "/api/webhooks", times: 1 });
      const run = await runCli(["apply", "--spec", JSON.stringify(w.spec("slow")), "--json"], { ...w.env(), TUCO_TIMEOUT_MS: "2000" });
      await control.clearFaults();
      expect(run.code, run.stderr).toBe(0);
      const kept = result(run).id;
      expect(run.stderr).toMatch(new RegExp(`an earlier attempt that got no answer made webhook (\\w+) after all; nobody holds its secret: deleted it, kept ${kept}`));
      expect((await w.client.list()).map((x) => x.id)).toEqual([kept]);
      await w.client.healthCheck(kept);
      expectSignsLastDelivery(receiver, w.spec("slow").url, ageDecrypt(result(run).sealedSecretPath!, alice.identityFile));
    } finally {
      await w.close();
    }
  });
});

describe("a create whose answer is lost twice", () => {
  test("deletes both webhooks Tuco made, leaves nothing, and says so", async () => {
    const w = await workspace();
    try {
      await control.addFault({ kind: "commit-then-drop", method: "POST", path: "/api/webhooks", times: 2 });
      const run = await w.apply(w.spec("lost"));
      await control.clearFaults();
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/reached Tuco twice, and both answers were lost .*were deleted again, since nobody holds their secret: nothing is left\. Apply again/);
      expect(await w.client.list()).toEqual([]);
      const again = await w.apply(w.spec("lost"));
      expect(again.code, again.stderr).toBe(0);
      expect((await w.client.list()).map((x) => x.id)).toEqual([result(again).id]);
    } finally {
      await w.close();
    }
  });
});
