import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** The built CLI. `npm test` builds first; while developing run `npx tsc -p tsconfig.build.json`. */
export const CLI = resolve(__dirname, "../../dist/cli/main.js");

/** Fails loudly when the CLI was not built: these tests run the real thing, not the sources. */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: build first with \`npm run build\` (npm test does it), then run the tests again.`);
  }
}

/** Fails loudly when the age CLI is missing: the interop tests need the real binary. */
export function requireAgeBinary(): void {
  for (const bin of ["age", "age-keygen"]) {
    try {
      execFileSync(bin, ["--version"], { stdio: "ignore" });
    } catch {
      throw new Error(`The \`${bin}\` binary is missing: install it with \`apt-get update && apt-get install -y age\` (.ci/run does this). The sealing tests decrypt with the real age CLI and will not skip.`);
    }
  }
}

/** A fresh X25519 key pair made by the real `age-keygen`. */
export function ageKeypair(): { identityFile: string; recipient: string } {
  const identityFile = execFileSync("age-keygen", { stdio: ["ignore", "pipe", "ignore"] }).toString();
  const recipient = execFileSync("age-keygen", ["-y"], { input: identityFile }).toString().trim();
  return { identityFile, recipient };
}

/** What one CLI run produced. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly argv: readonly string[];
}

/** Runs `node dist/cli/main.js ...args` with exactly `env` (plus PATH) and optional stdin. */
export function runCli(args: readonly string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<CliRun> {
  const argv = [CLI, ...args];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, argv, {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr, argv }));
    if (stdin !== undefined) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

/** Paths under a test's temp dir. */
export const under = (dir: string, ...parts: string[]) => join(dir, ...parts);

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
