import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
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

/** A local webhook receiver answering every POST with `status` (changeable). */
export interface StatusReceiver {
  readonly url: string;
  status: number;
  close(): Promise<void>;
}

export async function startStatusReceiver(status = 200): Promise<StatusReceiver> {
  const state = { status };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.statusCode = state.status;
      res.end(state.status < 300 ? "OK" : "nope");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    get status() {
      return state.status;
    },
    set status(v: number) {
      state.status = v;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Paths under a test's temp dir. */
export const under = (dir: string, ...parts: string[]) => join(dir, ...parts);
