import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { TucoClient } from "../../src/api/client";
import { freshKey, listWebhooks, requestsOf, seedWebhook, writes } from "./helpers";
import { freshInstance, ownedDescription, seedOwned } from "../helpers/markers";
import { requireBuiltCli, runCli } from "../helpers/process";

const INSTANCE = freshInstance();

let emulator: RunningEmulator;
let control: EmulatorControl;

beforeAll(async () => {
  requireBuiltCli();
  emulator = await startEmulator({ port: 0 });
  control = new EmulatorControl(emulator.url);
});
afterAll(async () => {
  await emulator?.close();
});

const URL = "https://hooks.example.com/tuco";

/**
 * A workspace where this stack instance's webhooks (prod/crm, prod/billing, prod/old) stand among
 * look-alikes it must never touch: hand-made ones named like ours, a copy of our crm marker on a
 * hand-made webhook, a typed marker, another Terraform state's instance of stack prod, a 0.1
 * marker, another stack's, all named like ours.
 */
async function crowdedWorkspace() {
  const key = freshKey();
  const client = new TucoClient({ apiUrl: emulator.url, apiKey: key });
  const body = (name: string, description?: string) => ({ url: URL, events: ["message.sent"], name, ...(description ? { description } : {}) });
  const seed = (name: string, description?: string) => seedWebhook(emulator.url, key, body(name, description));
  const ours = (k: string, description?: string) => seedOwned(client, { stack: "prod", key: k, instance: INSTANCE }, body(k, description));
  try {
    const crm = await ours("crm", "ours");
    const ids = {
      crm,
      billing: await ours("billing"),
      old: await ours("old"),
      handMadeCrm: await seed("crm"),
      copiedMarker: await seed("crm", ownedDescription("copied from crm", { stack: "prod", key: "crm", instance: INSTANCE }, crm)),
      typedMarker: await seed("old", `[tuco-webhooks stack=prod key=old instance=${INSTANCE} id=0123456789abcdef01234567]`),
      otherInstanceOld: await seedOwned(client, { stack: "prod", key: "old", instance: "another-state" }, body("old")),
      legacyOld: await seed("old", "[tuco-webhooks stack=prod key=old]"),
      stagingCrm: await seedOwned(client, { stack: "staging", key: "crm", instance: INSTANCE }, body("crm")),
    };
    return { key, ids, env: { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: INSTANCE } };
  } finally {
    await client.close();
  }
}

/** The seeded webhooks this stack instance does not own. */
const notOurs = (seeded: Record<string, string>) => Object.entries(seeded).filter(([k]) => !["crm", "billing", "old"].includes(k)).map(([, id]) => id);

const ids = async (key: string) => (await listWebhooks(emulator.url, key)).map((w) => w.id).sort();

describe("delete", () => {
  test("deletes only this instance's webhook for that stack and key, never a copied marker; re-running is a no-op success", async () => {
    const { key, ids: seeded, env } = await crowdedWorkspace();
    const run = await runCli(["delete", "--stack", "prod", "--key", "crm", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ deleted: [{ id: seeded.crm, name: "crm" }], alreadyGone: false });
    const remaining = Object.entries(seeded).filter(([k]) => k !== "crm").map(([, id]) => id).sort();
    expect(await ids(key)).toEqual(remaining);

    const before = (await requestsOf(control, key)).length;
    const again = await runCli(["delete", "--stack", "prod", "--key", "crm", "--json"], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ deleted: [], alreadyGone: true });
    expect(again.stderr).toMatch(/already gone/);
    expect(writes((await requestsOf(control, key)).slice(before))).toEqual([]);
  });

  test("without --json prints one line per webhook deleted, or one saying it is already gone, on stderr and nothing on stdout", async () => {
    const { key, ids: seeded, env } = await crowdedWorkspace();
    const run = await runCli(["delete", "--stack", "prod", "--key", "crm"], env);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: "", stderr: `tuco-webhooks delete: deleted webhook ${seeded.crm} ("crm")\n` });
    const again = await runCli(["delete", "--stack", "prod", "--key", "crm"], env);
    expect({ code: again.code, stdout: again.stdout, stderr: again.stderr }).toEqual({
      code: 0,
      stdout: "",
      stderr: `tuco-webhooks delete: no webhook of stack prod key crm instance ${INSTANCE}: already gone\n`,
    });
    expect(await ids(key)).not.toContain(seeded.crm);
  });

  test("deletes by id whatever the marker, and a missing id is already gone", async () => {
    const { key, ids: seeded, env } = await crowdedWorkspace();
    const run = await runCli(["delete", "--id", seeded.handMadeCrm], env);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: "", stderr: `tuco-webhooks delete: deleted webhook ${seeded.handMadeCrm}\n` });
    expect(await ids(key)).not.toContain(seeded.handMadeCrm);
    const again = await runCli(["delete", "--id", seeded.handMadeCrm, "--json"], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ deleted: [], alreadyGone: true });
  });

  test("rejects incomplete or mixed selectors before any API request", async () => {
    const key = freshKey();
    const env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: INSTANCE };
    const cases: [string[], RegExp][] = [
      [[], /nothing to delete: pass --stack S --key K, or --id ID/],
      [["--stack", "prod"], /--stack given without --key/],
      [["--key", "crm"], /--key given without --stack/],
      [["--id", "abc", "--stack", "prod", "--key", "crm"], /--id and --stack\/--key were both given/],
      [["--stack", "bad stack", "--key", "crm"], /--stack "bad stack" cannot mark webhook ownership/],
      [["--id"], /flag --id needs a value/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(["delete", ...args], env);
      expect(run.code, args.join(" ")).toBe(1);
      expect(run.stderr).toMatch(message);
    }
    expect(await requestsOf(control, key)).toEqual([]);
  });
});

describe("prune", () => {
  test("deletes the instance's webhooks whose keys are not kept, never hand-made, copied, typed, 0.1, other instances' or other stacks' ones; re-running is a no-op", async () => {
    const { key, ids: seeded, env } = await crowdedWorkspace();
    const run = await runCli(["prune", "--stack", "prod", "--keep", "crm,billing", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.deleted).toEqual([{ id: seeded.old, name: "old", key: "old" }]);
    expect(out.kept.map((k: { key: string }) => k.key).sort()).toEqual(["billing", "crm"]);
    expect(run.stderr).toMatch(/deleted webhook .*key old/);
    expect(await ids(key)).toEqual(Object.entries(seeded).filter(([k]) => k !== "old").map(([, id]) => id).sort());

    const before = (await requestsOf(control, key)).length;
    const again = await runCli(["prune", "--stack", "prod", "--keep", "crm,billing"], env);
    expect({ code: again.code, stdout: again.stdout, stderr: again.stderr }).toEqual({
      code: 0,
      stdout: "",
      stderr: `tuco-webhooks prune: nothing to prune in stack prod instance ${INSTANCE}: it owns no webhook whose key it no longer declares\n`,
    });
    expect(writes((await requestsOf(control, key)).slice(before))).toEqual([]);
  });

  test("deletes every webhook of the stack instance with --keep \"\" (terraform destroy) and nothing else, saying the stack is being destroyed", async () => {
    const { key, ids: seeded, env } = await crowdedWorkspace();
    const run = await runCli(["prune", "--stack", "prod", "--keep", ""], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("");
    // One line per webhook deleted; the stack is going away, it did not stop declaring them.
    expect(run.stderr.trimEnd().split("\n").sort()).toEqual(
      (["billing", "crm", "old"] as const).map((k) => `tuco-webhooks prune: deleted webhook ${seeded[k]} ("${k}", key ${k}): stack prod is being destroyed`).sort(),
    );
    expect(await ids(key)).toEqual(notOurs(seeded).sort());

    const again = await runCli(["prune", "--stack", "prod", "--keep", "", "--json"], env);
    expect(JSON.parse(again.stdout)).toEqual({ deleted: [], kept: [] });
    expect(again.stderr).toBe(`tuco-webhooks prune: stack prod instance ${INSTANCE} owns no webhook: nothing to delete\n`);
  });

  test("rejects a missing --keep or --stack before any API request", async () => {
    const key = freshKey();
    const env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: INSTANCE };
    const noKeep = await runCli(["prune", "--stack", "prod"], env);
    expect(noKeep.code).toBe(1);
    expect(noKeep.stderr).toMatch(/--keep is missing: .*--keep "" deletes every webhook of the stack/);
    const noStack = await runCli(["prune", "--keep", "a"], env);
    expect(noStack.stderr).toMatch(/--stack is missing/);
    const badKey = await runCli(["prune", "--stack", "prod", "--keep", "a,b c"], env);
    expect(badKey.stderr).toMatch(/--keep: key "b c" cannot mark webhook ownership/);
    expect(await requestsOf(control, key)).toEqual([]);
  });
});

describe("list", () => {
  test("lists webhooks with their owner, what their marker proves and the user's description, filtered by stack", async () => {
    const { ids: seeded, env } = await crowdedWorkspace();
    const all = JSON.parse((await runCli(["list", "--json"], env)).stdout).webhooks;
    expect(all).toHaveLength(Object.keys(seeded).length);
    const row = (name: keyof typeof seeded) => all.find((w: { id: string }) => w.id === seeded[name]);
    expect(row("crm")).toMatchObject({ name: "crm", url: URL, events: ["message.sent"], isActive: true, failureCount: 0, description: "ours", owner: { tool: "cdktf", stack: "prod", key: "crm", instance: INSTANCE }, claim: "owned" });
    expect(row("handMadeCrm")).toMatchObject({ owner: null, claim: "none" });
    expect(row("copiedMarker")).toMatchObject({ description: "copied from crm", claim: "copy" });
    expect(row("typedMarker")).toMatchObject({ claim: "unreadable" }); // typed by hand: no checksum that matches
    expect(row("legacyOld")).toMatchObject({ owner: { tool: "legacy", stack: "prod", key: "old" }, claim: "legacy" });
    const prod = JSON.parse((await runCli(["list", "--stack", "prod", "--json"], env)).stdout).webhooks;
    expect(prod.map((w: { id: string }) => w.id).sort()).toEqual([seeded.crm, seeded.billing, seeded.old, seeded.copiedMarker, seeded.otherInstanceOld, seeded.legacyOld].sort());
    const text = await runCli(["list"], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`prod/crm@${INSTANCE}`);
    expect(text.stdout).toContain(`prod/crm@${INSTANCE} (copied marker)`);
    // Columns line up: every row's cell of each column starts where the header's does; FAILURES is a bare count.
    const lines = text.stdout.trimEnd().split("\n");
    for (const column of ["OWNER", "STATE", "FAILURES", "NAME"]) {
      const at = lines[0].indexOf(column);
      for (const line of lines.slice(1)) expect(line[at - 1] === " " && line[at] !== " ", `${column}: ${line}`).toBe(true);
    }
    const failuresAt = lines[0].indexOf("FAILURES");
    for (const line of lines.slice(1)) expect(line.slice(failuresAt).split(/ +/)[0], line).toBe("0");
  });
});
