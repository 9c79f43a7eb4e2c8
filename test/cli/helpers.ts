/** What the CLI tests share beyond test/helpers/{process,age,receiver}.ts: one emulator workspace per key, and the API called straight. */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { ageKeypair, requireAgeBinary, type AgeKeypair } from "../helpers/age";
import { requireBuiltCli } from "../helpers/process";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

/** Tagged or untagged webhooks made straight through the API, as another tool or a person would. */
export async function seedWebhook(apiUrl: string, apiKey: string, body: { url: string; events: string[]; name: string; description?: string }): Promise<string> {
  const { request } = await import("undici");
  const res = await request(`${apiUrl}/api/webhooks`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.body.json()) as { id: string };
  if (res.statusCode !== 201) throw new Error(`seeding failed: ${res.statusCode} ${JSON.stringify(json)}`);
  return json.id;
}

/** The workspace's webhooks, straight from the API. */
export async function listWebhooks(apiUrl: string, apiKey: string): Promise<{ id: string; name: string; url: string; events: string[]; description: string | null; isActive: boolean; createdAt: string }[]> {
  const { request } = await import("undici");
  const res = await request(`${apiUrl}/api/webhooks`, { headers: { authorization: `Bearer ${apiKey}` } });
  return ((await res.body.json()) as { webhooks: never[] }).webhooks;
}

let keyCounter = 0;
/** A fresh API key: each one is its own emulator workspace, so tests never see each other's webhooks. */
export function freshKey(): string {
  keyCounter += 1;
  return `tuco_sk_cli_${process.pid}_${keyCounter}_${Math.random().toString(36).slice(2, 10)}`;
}

/** The emulator's request log for one API key's workspace. */
export async function requestsOf(control: { requests(): Promise<{ method: string; path: string; status: number; body?: unknown; workspace?: string }[]> }, apiKey: string) {
  const { createHash } = await import("node:crypto");
  const label = createHash("sha256").update(apiKey).digest("hex").slice(0, 8);
  return (await control.requests()).filter((r) => r.workspace === label);
}

/** The requests of a log that write: POST, PATCH, DELETE. */
export const writes = <T extends { method: string }>(log: T[]) => log.filter((r) => r.method !== "GET");

/** What a CLI test file runs against: the built CLI and `age` checked, an emulator, a receiver answering 200, a temp folder and an age key pair in it. */
export interface CliFixture {
  readonly emulator: RunningEmulator;
  readonly control: EmulatorControl;
  readonly receiver: TestReceiver;
  readonly dir: string;
  readonly alice: AgeKeypair & { identityFile: string };
  close(): Promise<void>;
}

/** Starts a `CliFixture` whose temp folder's name starts with `prefix`; `close` stops and removes everything it started. */
export async function startCliFixture(prefix: string): Promise<CliFixture> {
  requireBuiltCli();
  requireAgeBinary();
  const emulator = await startEmulator({ port: 0 });
  const receiver = await startReceiver(200);
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    emulator,
    control: new EmulatorControl(emulator.url),
    receiver,
    dir,
    alice: ageKeypair(dir, "alice.txt"),
    async close() {
      await receiver.close();
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
