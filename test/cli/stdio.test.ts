/**
 * The CLI writes its output synchronously to descriptors 1 and 2 (src/cli/stdio.ts). A pipe a
 * parent left non-blocking, drained slowly, must still get every byte, once and in order.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CLI, preload } from "../helpers/process";
import { freshKey, seedWebhook, startCliFixture, type CliFixture } from "./helpers";

const PRELOAD = resolve(__dirname, "../helpers/nonblocking-stdout-preload.cjs");
let fixture: CliFixture;

beforeAll(async () => {
  fixture = await startCliFixture("tuco-stdio-");
});
afterAll(() => fixture?.close());

describe("output to a non-blocking pipe read slowly", () => {
  test("list --json of 600 webhooks (more than a pipe holds) arrives whole and in order, exit 0", async () => {
    const apiKey = freshKey();
    const names = Array.from({ length: 600 }, (_, i) => `stdio-${String(i).padStart(3, "0")}-${"x".repeat(200)}`);
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(names.slice(i, i + 20).map((name) => seedWebhook(fixture.emulator.url, apiKey, { url: `${fixture.receiver.url}/${name.slice(0, 9)}`, events: ["message.sent"], name })));
    }
    const child = spawn(process.execPath, [CLI, "list", "--json"], {
      env: { PATH: process.env.PATH, TUCO_API_URL: fixture.emulator.url, TUCO_API_KEY: apiKey, ...preload(PRELOAD) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const closed = new Promise<number | null>((r) => child.on("close", r));
    let stdout = "";
    let stderr = "";
    // Nobody reads until the pipe is full and a write of the CLI met EAGAIN (the preload says so on stderr).
    child.stdout.pause();
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      if (stderr.includes("stdout is full\n")) child.stdout.resume();
    });
    // A CLI that never met a full pipe has exited by then: read what it wrote, and the EAGAIN count below fails.
    child.on("exit", () => child.stdout.resume());
    const code = await closed;
    const report = /stdout O_NONBLOCK: (\w+); writes that met EAGAIN: (\d+)\n/.exec(stderr);
    expect(report?.[1]).toBe("true");
    expect(Number(report?.[2])).toBeGreaterThan(0);
    expect({ code, stderr: stderr.replace("stdout is full\n", "").replace(report![0], "") }).toEqual({ code: 0, stderr: "" });
    const listed = (JSON.parse(stdout) as { webhooks: { name: string }[] }).webhooks.map((w) => w.name);
    expect([...listed].sort()).toEqual(names);
  });
});
