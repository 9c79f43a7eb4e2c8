/**
 * The one way tests run a process to completion: exactly the environment given (plus PATH, unless
 * it names its own), an optional working directory and stdin, and what it printed and how it exited.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";

/** The environment of a run. */
export type Env = Record<string, string | undefined>;

/** Where and with what stdin a process runs. */
export interface RunOptions {
  readonly cwd?: string;
  /** Written to stdin, which is then closed. @default stdin is closed at once */
  readonly stdin?: string;
}

/** What one run printed and how it exited. */
export interface ProcessRun {
  /** The command, then its arguments, as run. */
  readonly argv: readonly string[];
  /** The exit code; -1 when a signal ended it. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const envOf = (env: Env): Env => ({ PATH: process.env.PATH, ...env });

/** Runs `command ...args` with `env` only (plus PATH). Rejects only when it cannot start. */
export function run(command: string, args: readonly string[], env: Env = {}, options: RunOptions = {}): Promise<ProcessRun> {
  const argv = [command, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: envOf(env), cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ argv, code: code ?? -1, stdout, stderr }));
    // A child that exits without reading its stdin makes the write fail with EPIPE: not the run's failure.
    child.stdin.on("error", () => {});
    child.stdin.end(options.stdin);
  });
}

/** `run`, synchronously, for helpers that must answer at once (the age tools). Throws when it cannot start. */
export function runSync(command: string, args: readonly string[], env: Env = {}, options: RunOptions = {}): ProcessRun {
  const done = spawnSync(command, args, { env: envOf(env), cwd: options.cwd, input: options.stdin ?? "", encoding: "utf8" });
  if (done.error) throw done.error;
  return { argv: [command, ...args], code: done.status ?? -1, stdout: done.stdout, stderr: done.stderr };
}

/** Returns `done` when its exit code is one of `okCodes`; otherwise throws with everything it printed. */
export function checkExit<T extends ProcessRun>(done: T, okCodes: readonly number[] = [0]): T {
  if (!okCodes.includes(done.code)) {
    throw new Error(`${done.argv.join(" ")} exited ${done.code}\n--- stdout\n${done.stdout}\n--- stderr\n${done.stderr}`);
  }
  return done;
}

/** Throws `missing` (never skips) unless `bin ...probe` runs and exits 0. */
export function requireBinary(bin: string, probe: readonly string[], missing: string): void {
  let detail: string;
  try {
    const done = runSync(bin, probe);
    if (done.code === 0) return;
    detail = done.stderr.trim();
  } catch (err) {
    detail = (err as Error).message;
  }
  throw new Error(`${missing} (${detail})`);
}

/** The built CLI. `npm test` builds first. */
export const CLI = path.resolve(__dirname, "../../dist/cli/main.js");

/** Returns the built CLI's path; throws with the fix when it was not built: these tests run the real thing, not the sources. */
export function requireBuiltCli(): string {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with \`npm run build\` (npm test does it), then run the tests again.`);
  return CLI;
}

/** Runs `node dist/cli/main.js ...args` with `env` only (plus PATH). */
export function runCli(args: readonly string[], env: Env = {}, options: RunOptions = {}): Promise<ProcessRun> {
  return run(process.execPath, [requireBuiltCli(), ...args], env, options);
}

/** Starts `node dist/cli/main.js ...args` with `env` only (plus PATH), for tests that stop it midway. */
export function startCli(args: readonly string[], env: Env = {}, options: RunOptions = {}): RunningProcess {
  return start(process.execPath, [requireBuiltCli(), ...args], env, options);
}

/** A process still running: what it printed so far, a wait for a line, and how it ended. */
export interface RunningProcess {
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match in stdout or stderr (already there, or later); rejects when the process ends first. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Sends `signal` (default SIGKILL) and resolves with the run once it ended. */
  kill(signal?: NodeJS.Signals): Promise<ProcessRun>;
  /** Resolves with the run when it ends by itself. */
  done: Promise<ProcessRun>;
}

/** Starts `command ...args` with `env` only (plus PATH), for tests that stop it midway. */
export function start(command: string, args: readonly string[], env: Env = {}, options: RunOptions = {}): RunningProcess {
  const argv = [command, ...args];
  const child = spawn(command, args, { env: envOf(env), cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  child.stdout.on("data", (c: Buffer) => ((stdout += c.toString()), changed()));
  child.stderr.on("data", (c: Buffer) => ((stderr += c.toString()), changed()));
  child.stdin.on("error", () => {});
  child.stdin.end(options.stdin);
  const done = new Promise<ProcessRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ argv, code: code ?? -1, stdout, stderr });
      changed();
    });
  });
  let ended = false;
  void done.then(() => (ended = true), () => (ended = true));
  return {
    pid: child.pid ?? 0,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const test = () => {
          const m = pattern.exec(stdout) ?? pattern.exec(stderr);
          if (m) {
            listeners.delete(test);
            resolve(m[0]);
          } else if (ended) {
            listeners.delete(test);
            reject(new Error(`${argv.join(" ")} ended before printing ${pattern}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
          }
        };
        listeners.add(test);
        test();
      });
    },
    async kill(signal = "SIGKILL") {
      child.kill(signal);
      return done;
    },
  };
}

/** The `NODE_OPTIONS` that preloads `file` into a node process (quoted: a checkout path may hold spaces). */
export function preload(file: string): { NODE_OPTIONS: string } {
  return { NODE_OPTIONS: `--require ${JSON.stringify(file)}` };
}

/** Environments merged left to right, their `NODE_OPTIONS` preloads all kept (a plain spread keeps only the last). */
export function mergeEnv(...envs: Env[]): Env {
  const preloads = envs.map((e) => e.NODE_OPTIONS).filter((o): o is string => typeof o === "string" && o !== "");
  return Object.assign({}, ...envs, preloads.length > 0 ? { NODE_OPTIONS: preloads.join(" ") } : {});
}

/** A `NODE_OPTIONS` that makes a CLI process stop at one step (see pause-preload.cjs), for killing it there. */
export function pauseAt(step: string, resumeFile?: string): Env {
  return { ...preload(path.join(__dirname, "pause-preload.cjs")), TUCO_TEST_PAUSE_AT: step, ...(resumeFile && { TUCO_TEST_RESUME_FILE: resumeFile }) };
}

/**
 * The environment that makes a CLI process look as if it ran on another machine, its clock `skewMs`
 * off (test/helpers/other-machine-preload.cjs): the machine called `machine`, or one of its own.
 */
export function onAnotherMachine(skewMs = 0, machine?: string): Env {
  return { ...preload(path.join(__dirname, "other-machine-preload.cjs")), TUCO_TEST_CLOCK_SKEW_MS: String(skewMs), ...(machine && { TUCO_TEST_MACHINE: machine }) };
}
