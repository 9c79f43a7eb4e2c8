/**
 * A create killed at each of its steps (SIGKILL, as Terraform kills a provisioner when a run is
 * cancelled), then applied again, as Terraform re-runs a failed provisioner. Whatever the step, the
 * next run ends with exactly one webhook for the key, confirmed, whose secret is the one sealed in
 * the file (it verifies the signature Tuco sends), says what it finished, and leaves no temporary file.
 * The CLI is stopped at each step by a preload (test/helpers/pause-preload.cjs), never by timing.
 */
import { readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoClient } from "../../src/api/client";
import type { RunningEmulator } from "../../src/emulator";
import { hostTag, readDescription } from "../../src/webhook/ownership";
import { freshKey, startCliFixture, type CliFixture } from "./helpers";
import { ageDecrypt, type AgeKeypair } from "../helpers/age";
import { freshInstance } from "../helpers/markers";
import { mergeEnv, onAnotherMachine, pauseAt, runCli, startCli } from "../helpers/process";
import { expectSignsLastDelivery, type TestReceiver } from "../helpers/receiver";

let emulator: RunningEmulator;
let receiver: TestReceiver;
let dir: string;
let alice: AgeKeypair & { identityFile: string };
const INSTANCE = freshInstance();

let fixture: CliFixture | undefined;

beforeAll(async () => {
  fixture = await startCliFixture("tuco-interrupted-");
  ({ emulator, receiver, dir, alice } = fixture);
});
afterAll(() => fixture?.close());

const specFor = (key: string) => ({ stack: "prod", key, name: key, url: `${receiver.url}/${key}`, events: ["message.sent"], seal: { recipients: [alice.recipient], path: join(dir, "sealed", `${key}.age`) } });
const envFor = (apiKey: string) => ({ TUCO_API_URL: emulator.url, TUCO_API_KEY: apiKey, TUCO_STACK_INSTANCE: INSTANCE });

/** The sealed file holds the secret that signs the last ping Tuco sent the webhook. */
function expectSealedSecretSigns(path: string, url: string): void {
  expectSignsLastDelivery(receiver, url, ageDecrypt(path, alice.identityFile));
}

/** Each step of a create, what the webhook looks like after a kill there, and what the next run says it did. */
const STEPS: { step: string; left: "nothing" | "pending" | "confirmed"; next: RegExp | undefined; sameWebhook: boolean }[] = [
  { step: "before POST /api/webhooks", left: "nothing", next: undefined, sameWebhook: false },
  { step: "after POST /api/webhooks", left: "pending", next: /finishing an interrupted create: webhook \w+ was created but never confirmed .*: deleted it/, sameWebhook: false },
  { step: "before GET /api/webhooks#2", left: "pending", next: /finishing an interrupted create: .*deleted it/, sameWebhook: false },
  { step: "before rename .age", left: "pending", next: /removed .*\.tmp, left by an interrupted seal/, sameWebhook: false },
  { step: "before PATCH /api/webhooks/", left: "pending", next: /finishing an interrupted create: webhook \w+ was never confirmed, but its secret is sealed in .*: confirmed it/, sameWebhook: true },
  { step: "before POST /api/webhooks/", left: "confirmed", next: /is in sync: nothing to change/, sameWebhook: true },
];

describe("a create killed at each step, then applied again", () => {
  test.each(STEPS.map((s) => [s.step, s] as const))("killed %s: the next apply ends with one confirmed webhook whose sealed secret signs", async (_step, { step, left, next, sameWebhook }) => {
    const apiKey = freshKey();
    const key = step.replace(/\W+/g, "-");
    const spec = specFor(key);
    const client = new TucoClient({ apiUrl: emulator.url, apiKey });
    try {
      const run = startCli(["apply", "--spec", JSON.stringify(spec), "--json"], { ...envFor(apiKey), ...pauseAt(step) });
      await run.waitFor(/tuco-test-pause: /);
      const killed = await run.kill("SIGKILL");
      expect(killed.code).toBe(-1);
      expect(killed.stdout).toBe(""); // it reported nothing

      const before = await client.list();
      if (left === "nothing") expect(before).toEqual([]);
      else {
        expect(before).toHaveLength(1);
        expect(readDescription(before[0].description).marker?.[left === "pending" ? "pending" : "id"], JSON.stringify(before[0].description)).toBeTruthy();
      }

      const again = await runCli(["apply", "--spec", JSON.stringify(spec), "--json"], envFor(apiKey));
      expect(again.code, again.stderr).toBe(0);
      if (next) expect(again.stderr).toMatch(next);
      const result = JSON.parse(again.stdout) as { id: string; action: string };
      const after = await client.list();
      expect(after.map((w) => w.id)).toEqual([result.id]);
      expect(readDescription(after[0].description).marker).toMatchObject({ owner: { stack: "prod", key, instance: INSTANCE }, id: result.id });
      if (sameWebhook) expect(result.id).toBe(before[0].id);
      expectSealedSecretSigns(spec.seal.path, spec.url);
      expect((await readdir(dirname(spec.seal.path))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    } finally {
      await client.close();
    }
  });

  test("a temporary file of a stopped seal is never the only copy of a live secret: its webhook was never confirmed", async () => {
    const apiKey = freshKey();
    const spec = specFor("leftover");
    const run = startCli(["apply", "--spec", JSON.stringify(spec)], { ...envFor(apiKey), ...pauseAt("before rename .age") });
    await run.waitFor(/tuco-test-pause: /);
    await run.kill("SIGKILL");
    const temps = (await readdir(dirname(spec.seal.path))).filter((f) => f.endsWith(".tmp"));
    expect(temps).toHaveLength(1);
    const client = new TucoClient({ apiUrl: emulator.url, apiKey });
    try {
      const [webhook] = await client.list();
      expect(readDescription(webhook.description).marker?.pending).toBeTruthy();
      // A temporary file of another process on this machine that is still running is left alone.
      const alive = `.leftover.age.${hostTag()}.${process.pid}.000000000000.tmp`;
      await writeFile(join(dirname(spec.seal.path), alive), "in progress");
      const again = await runCli(["apply", "--spec", JSON.stringify(spec)], envFor(apiKey));
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(`removed ${join(dirname(spec.seal.path), temps[0])}, left by an interrupted seal`);
      expect((await readdir(dirname(spec.seal.path))).filter((f) => f.endsWith(".tmp"))).toEqual([alive]);
      expect((await client.list()).map((w) => w.id)).not.toContain(webhook.id);
    } finally {
      await client.close();
    }
  });

  test.each([
    ["3 hours ahead", 3 * 3600_000],
    ["3 hours behind", -3 * 3600_000],
  ])("on a machine whose clock is %s, a create killed after Tuco's 201 is still that machine's unfinished create: the next run there replaces it", async (_clock, skewMs) => {
    const apiKey = freshKey();
    const spec = specFor(`skewed-${skewMs > 0 ? "ahead" : "behind"}`);
    const machine = mergeEnv(envFor(apiKey), onAnotherMachine(skewMs, `skewed-${process.pid}-${skewMs}`));
    const client = new TucoClient({ apiUrl: emulator.url, apiKey });
    try {
      const run = startCli(["apply", "--spec", JSON.stringify(spec)], mergeEnv(machine, pauseAt("after POST /api/webhooks")));
      await run.waitFor(/tuco-test-pause: /);
      await run.kill("SIGKILL");
      const [stopped] = await client.list();
      const listed = await runCli(["list", "--json"], envFor(apiKey));
      expect(JSON.parse(listed.stdout).webhooks).toContainEqual(expect.objectContaining({ id: stopped.id, claim: "pending" }));

      const again = await runCli(["apply", "--spec", JSON.stringify(spec), "--json"], machine);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(new RegExp(`finishing an interrupted create: webhook ${stopped.id} was created but never confirmed .*: deleted it`));
      const { id } = JSON.parse(again.stdout) as { id: string };
      expect((await client.list()).map((w) => w.id)).toEqual([id]);
      expectSealedSecretSigns(spec.seal.path, spec.url);
    } finally {
      await client.close();
    }
  });
});
