/**
 * Text that comes from the API is untrusted when printed: a webhook name, an error message or a
 * health-check answer holding terminal escapes, direction overrides or newlines reaches neither
 * stdout nor stderr raw through the built CLI, and cannot fake a line of output.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EmulatorControl, type RunningEmulator } from "../../src/emulator";
import { freshKey, seedWebhook, startCliFixture, type CliFixture } from "./helpers";
import { ageKeypair } from "../helpers/age";
import { runCli } from "../helpers/process";
import { type TestReceiver } from "../helpers/receiver";

/** ESC (a terminal escape), BEL, a right-to-left override, a zero-width space and a newline that would start a fake line. */
const HOSTILE = "\u001b[2J\u001b]0;pwned\u0007\u202eevil\u200b\nFAKE: created webhook wh_000";
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069\u200b-\u200f]/;

let emulator: RunningEmulator;
let control: EmulatorControl;
let receiver: TestReceiver;
let dir: string;

let fixture: CliFixture | undefined;

beforeAll(async () => {
  fixture = await startCliFixture("tuco-hostile-");
  ({ emulator, control, receiver, dir } = fixture);
});
afterAll(() => fixture?.close());

function expectNoRawHostileText(out: string): void {
  expect(out).not.toMatch(RAW);
  expect(out.split("\n").some((line) => line.startsWith("FAKE:"))).toBe(false);
}

describe("text from the API, printed by the CLI", () => {
  test("a webhook name and description with escapes: list shows them escaped, in text and in --json", async () => {
    const apiKey = freshKey();
    await seedWebhook(emulator.url, apiKey, { url: `${receiver.url}/x`, events: ["message.sent"], name: HOSTILE, description: HOSTILE });
    const env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: apiKey };
    const text = await runCli(["list"], env);
    expect(text.code, text.stderr).toBe(0);
    expectNoRawHostileText(text.stdout + text.stderr);
    expect(text.stdout).toContain("\\u001b[2J");
    expect(text.stdout).toContain("\\u202eevil");
    const json = await runCli(["list", "--json"], env);
    expect(json.code, json.stderr).toBe(0);
    expectNoRawHostileText(json.stdout);
    // Still the same text once parsed: escaping changes how it is written, not what it is.
    const listed = JSON.parse(json.stdout) as { webhooks: { name: string; description: string }[] };
    expect(listed.webhooks[0].name).toBe(HOSTILE);
    expect(listed.webhooks[0].description).toBe(HOSTILE);
  });

  test("an API error message with escapes: the failure names the status, with the message escaped", async () => {
    const apiKey = freshKey();
    await control.addFault({ kind: "status", method: "GET", path: "/api/webhooks", status: 500, body: { error: HOSTILE } });
    const run = await runCli(["list"], { TUCO_API_URL: emulator.url, TUCO_API_KEY: apiKey});
    await control.clearFaults();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("500");
    expect(run.stderr).toContain("\\u202eevil");
    expectNoRawHostileText(run.stdout + run.stderr);
  });

  test("a failed health-check whose answer holds escapes: the apply fails, the reason printed escaped", async () => {
    const apiKey = freshKey();
    await control.addFault({ kind: "status", method: "POST", path: "/api/webhooks/*", status: 200, times: 10, body: { success: false, error: HOSTILE, details: HOSTILE } });
    const spec = { stack: "hostile", key: "hc", name: "hc", url: `${receiver.url}/hc`, events: ["message.sent"], healthCheck: "fail", seal: { recipients: [ageKeypair(dir, "k.txt").recipient], path: join(dir, "hc.age") } };
    const run = await runCli(["apply", "--spec", JSON.stringify(spec)], { TUCO_API_URL: emulator.url, TUCO_API_KEY: apiKey, TUCO_STACK_INSTANCE: "i-hostile" });
    await control.clearFaults();
    expect(run.code, run.stderr).not.toBe(0);
    expect(run.stderr).toContain("\\u202eevil");
    expectNoRawHostileText(run.stdout + run.stderr);
  });
});
