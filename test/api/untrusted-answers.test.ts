/**
 * Text that comes from the API (an error body's `reason`, an error body's `error` seen by a
 * retry or a lost create) must never reach a message raw: no control, escape or bidi character.
 * Through real HTTP against the emulator, with its fault injection standing in for a hostile/odd Tuco.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TucoClient, type RetryInfo } from "../../src/api/client";
import { TucoCreateOutcomeUnknownError, TucoReadOnlyError } from "../../src/api/errors";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import * as runtime from "../../src/pulumi/provider-runtime";

const KEY = "tuco_sk_untrusted_answers";
// An OSC 8 hyperlink, a screen clear, a forged second line and a right-to-left override.
const HOSTILE = "x\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\u001b[2J\nFORGED: apply succeeded\u202e";
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let emulator: RunningEmulator;
let control: EmulatorControl;
let client: TucoClient;
let retries: RetryInfo[];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  control = new EmulatorControl(emulator.url);
});
afterAll(async () => emulator.close());
beforeEach(async () => {
  await control.reset();
  retries = [];
  client = new TucoClient({ apiUrl: emulator.url, apiKey: KEY, retry: { minDelayMs: 5, maxDelayMs: 20 }, onRetry: (i) => retries.push(i) });
});
afterEach(async () => client.close());

describe("API text in messages", () => {
  it("a 402 body's reason is escaped in the TucoReadOnlyError message", async () => {
    const { id } = await client.create({ url: "https://hooks.example.com/x", events: ["message.sent"], name: "n" });
    await control.addFault({ kind: "status", status: 402, method: "PATCH", body: { error: "READ_ONLY", code: "READ_ONLY", reason: HOSTILE } });
    const err = await client.update(id, { name: "m" }).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(TucoReadOnlyError);
    // The `error` field is escaped by apiErrorFor; the `reason` field is interpolated raw.
    expect(err!.message).not.toMatch(UNSAFE);
  });

  it("a retried 503's API message is escaped in the onRetry reason", async () => {
    await control.addFault({ kind: "status", status: 503, method: "GET", path: "/api/webhooks", body: { error: HOSTILE } });
    await client.list();
    expect(retries).toHaveLength(1);
    expect(retries[0].reason).not.toMatch(UNSAFE);
  });

  it("a create answered 503 after committing: the API message is escaped in the error's message and reason", async () => {
    await control.addFault({ kind: "commit-then-status", status: 503, method: "POST", path: "/api/webhooks", body: { error: HOSTILE } });
    const err = await client.create({ url: "https://hooks.example.com/x", events: ["message.sent"], name: "n" }).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(TucoCreateOutcomeUnknownError);
    expect((err as TucoCreateOutcomeUnknownError).reason).not.toMatch(UNSAFE);
    expect(err!.message).not.toMatch(UNSAFE);
  });
});

describe("API text in the Pulumi provider's warnings", () => {
  it("a lost create (503 after commit): the warning the engine shows has the API message escaped", async () => {
    const warnings: string[] = [];
    const previous = runtime.setWarn((m: string) => void warnings.push(m));
    runtime.setSettings({ apiKey: KEY, apiUrl: emulator.url });
    try {
      await control.addFault({ kind: "commit-then-status", status: 503, method: "POST", path: "/api/webhooks", body: { error: HOSTILE } });
      const { id } = await runtime.create({
        url: "https://hooks.example.com/x", events: ["message.sent"], name: "n", description: null, isActive: true,
        healthCheck: "skip", adoptId: null, owner: { pulumi: "proj/stack", resource: "0123456789abcdef" },
      });
      expect(id).toMatch(/^[0-9a-f]{24}$/);
      expect(warnings.join("\n")).toContain("reached Tuco but");
      for (const w of warnings) expect(w).not.toMatch(UNSAFE);
    } finally {
      runtime.setWarn(previous);
      runtime.setSettings({});
    }
  });
});
