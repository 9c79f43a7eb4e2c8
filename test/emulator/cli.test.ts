import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { requireBuiltCli } from "../helpers/process";
import { api } from "./helpers";

// A long-lived process read line by line and signalled, so not the one-shot runner of test/helpers/process.ts.
const children: ChildProcessWithoutNullStreams[] = [];

beforeAll(requireBuiltCli);
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function run(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [requireBuiltCli(), "emulator", ...args], { env: { ...process.env, ...env }, stdio: "pipe" });
  children.push(child);
  return child;
}

async function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, "line")) as [string];
  lines.close();
  return line;
}

async function exitOf(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stderr };
}

describe("tuco-webhooks emulator", () => {
  test("prints the base URL first, serves the API and exits 0 on SIGTERM", async () => {
    const child = run(["--port", "0"]);
    const exited = exitOf(child);
    const url = await firstLine(child);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await api(url, "GET", "/api/webhooks", { key: "tuco_sk_cli" });
    expect(r).toMatchObject({ status: 200, body: { webhooks: [] } });
    child.kill("SIGTERM");
    const { code, stderr } = await exited;
    expect(code).toBe(0);
    expect(stderr).toContain("listening on");
  });

  test("accepts only the keys given with --api-key and never prints them", async () => {
    const child = run(["--port", "0", "--api-key", "tuco_sk_one", "--api-key", "tuco_sk_two"]);
    const exited = exitOf(child);
    const url = await firstLine(child);
    expect((await api(url, "GET", "/api/webhooks", { key: "tuco_sk_two" })).status).toBe(200);
    expect((await api(url, "GET", "/api/webhooks", { key: "tuco_sk_three" })).status).toBe(401);
    child.kill("SIGINT");
    const { code, stderr } = await exited;
    expect(code).toBe(0);
    expect(stderr).not.toContain("tuco_sk_one");
  });

  test("reads accepted keys from TUCO_EMULATOR_API_KEYS", async () => {
    const child = run(["--port", "0"], { TUCO_EMULATOR_API_KEYS: "tuco_sk_env1, tuco_sk_env2" });
    const exited = exitOf(child);
    const url = await firstLine(child);
    expect((await api(url, "GET", "/api/webhooks", { key: "tuco_sk_env2" })).status).toBe(200);
    expect((await api(url, "GET", "/api/webhooks", { key: "tuco_sk_other" })).status).toBe(401);
    child.kill("SIGTERM");
    expect((await exited).code).toBe(0);
  });

  test("rejects a bad --port with one line naming the flag, the value and the fix, exit 1", async () => {
    const { code, stderr } = await exitOf(run(["--port", "http"]));
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain("--port");
    expect(stderr).toContain('"http"');
    expect(stderr).toContain("--port 0");
  });

  test("rejects an unknown flag with exit 1", async () => {
    const { code, stderr } = await exitOf(run(["--verbose"]));
    expect(code).toBe(1);
    expect(stderr).toContain("--verbose");
    expect(stderr).toContain("--help");
  });
});
