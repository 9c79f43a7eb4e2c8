import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { freshKey, listWebhooks, requestsOf, seedWebhook, writes } from "./helpers";
import { requireBuiltCli, runCli } from "../helpers/process";

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

/** A workspace shared with a hand-made webhook and another stack's, all named like ours. */
async function crowdedWorkspace() {
  const key = freshKey();
  const seed = (name: string, description?: string) => seedWebhook(emulator.url, key, { url: URL, events: ["message.sent"], name, ...(description ? { description } : {}) });
  const ids = {
    crm: await seed("crm", "ours\n\n[tuco-webhooks stack=prod key=crm]"),
    billing: await seed("billing", "[tuco-webhooks stack=prod key=billing]"),
    old: await seed("old", "[tuco-webhooks stack=prod key=old]"),
    handMadeCrm: await seed("crm"),
    handMadeLookalike: await seed("crm", "looks like [tuco-webhooks stack=prod key=crm] but is not the last line\nreally"),
    stagingCrm: await seed("crm", "[tuco-webhooks stack=staging key=crm]"),
    prodPrefixed: await seed("old", "[tuco-webhooks stack=prod2 key=old]"),
  };
  return { key, ids, env: { TUCO_API_URL: emulator.url, TUCO_API_KEY: key } };
}

const ids = async (key: string) => (await listWebhooks(emulator.url, key)).map((w) => w.id).sort();

describe("delete", () => {
  test("deletes only the webhook marked with that stack and key; re-running is a no-op success", async () => {
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

  test("deletes by id whatever the marker, and a missing id is already gone", async () => {
    const { key, ids: seeded, env } = await crowdedWorkspace();
    const run = await runCli(["delete", "--id", seeded.handMadeCrm], env);
    expect(run.code, run.stderr).toBe(0);
    expect(await ids(key)).not.toContain(seeded.handMadeCrm);
    const again = await runCli(["delete", "--id", seeded.handMadeCrm, "--json"], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ deleted: [], alreadyGone: true });
  });

  test("rejects incomplete or mixed selectors before any API request", async () => {
    const key = freshKey();
    const env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: key };
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
  test("deletes the stack's webhooks whose keys are not kept, never hand-made or other stacks' ones; re-running is a no-op", async () => {
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
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing to prune/);
    expect(writes((await requestsOf(control, key)).slice(before))).toEqual([]);
  });

  test("deletes every webhook of the stack with --keep \"\" and nothing else", async () => {
    const { key, ids: seeded, env } = await crowdedWorkspace();
    const run = await runCli(["prune", "--stack", "prod", "--keep", "", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).deleted.map((d: { key: string }) => d.key).sort()).toEqual(["billing", "crm", "old"]);
    expect(await ids(key)).toEqual([seeded.handMadeCrm, seeded.handMadeLookalike, seeded.stagingCrm, seeded.prodPrefixed].sort());
  });

  test("rejects a missing --keep or --stack before any API request", async () => {
    const key = freshKey();
    const env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: key };
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
  test("lists webhooks with their owner and the user's description, filtered by stack", async () => {
    const { ids: seeded, env } = await crowdedWorkspace();
    const all = JSON.parse((await runCli(["list", "--json"], env)).stdout).webhooks;
    expect(all).toHaveLength(7);
    const crm = all.find((w: { id: string }) => w.id === seeded.crm);
    expect(crm).toMatchObject({ name: "crm", url: URL, events: ["message.sent"], isActive: true, failureCount: 0, description: "ours", owner: { stack: "prod", key: "crm" } });
    expect(all.find((w: { id: string }) => w.id === seeded.handMadeCrm).owner).toBeNull();
    const prod = JSON.parse((await runCli(["list", "--stack", "prod", "--json"], env)).stdout).webhooks;
    expect(prod.map((w: { id: string }) => w.id).sort()).toEqual([seeded.crm, seeded.billing, seeded.old].sort());
    const text = await runCli(["list"], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("prod/crm");
  });
});
