/**
 * Records, for real, the argv and environment of processes a tool starts, so a test can scan them:
 *
 * - a `--require` preload (through `NODE_OPTIONS`, which every descendant inherits) writes each node
 *   process's `process.argv`, `process.execArgv`, cwd and environment to its own file, and the
 *   command and arguments of every child process that node process spawns;
 * - a `node` shim first on `PATH` writes the argv the shell actually executed, then execs the real node.
 *
 * The records hold environments in full (the API key included, where it is legitimately passed):
 * they live in their own 0700 temp dir, outside any tree a test scans wholesale, until `dispose()`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Artifact } from "./secret-scan";

/** One node process, as its preload saw it at start-up. */
export interface NodeProcessRecord {
  readonly file: string;
  readonly pid: number;
  readonly ppid: number;
  readonly argv: string[];
  readonly execArgv: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
}

/** A child process a recorded node process asked `child_process` to start. */
export interface SpawnRecord {
  readonly file: string;
  readonly parentPid: number;
  readonly method: string;
  readonly command: string;
  readonly args: string[];
  /** The environment given to the child; null when it inherits the parent's (recorded with the parent). */
  readonly env: Record<string, string> | null;
}

/** One run of the `node` shim: `$0` then every argument, as the shell passed them. */
export interface ShimRecord {
  readonly file: string;
  readonly argv: string[];
}

function preloadSource(dir: string): string {
  return `"use strict";
// Written by test/helpers/process-recorder.ts: records this node process and what it spawns.
const fs = require("fs");
const path = require("path");
const dir = ${JSON.stringify(dir)};
const write = (kind, record) => {
  try {
    const name = kind + "-" + process.pid + "-" + Date.now() + "-" + Math.random().toString(36).slice(2) + ".json";
    fs.writeFileSync(path.join(dir, name), JSON.stringify(record), { mode: 0o600, flag: "wx" });
  } catch (err) {
    process.stderr.write("process recorder: " + err.message + "\\n");
  }
};
write("node", { pid: process.pid, ppid: process.ppid, argv: process.argv, execArgv: process.execArgv, cwd: process.cwd(), env: process.env });
const cp = require("child_process");
const { promisify } = require("util");
for (const method of ["spawn", "spawnSync", "execFile", "execFileSync", "exec", "execSync", "fork"]) {
  const original = cp[method];
  const record = (command, args, rest) => {
    const options = Array.isArray(args) ? rest[0] : args;
    const env = options && typeof options === "object" && options.env ? options.env : null;
    write("spawn", { parentPid: process.pid, method, command: String(command), args: Array.isArray(args) ? args.map(String) : [], env });
  };
  const wrapper = function (command, args, ...rest) {
    record(command, args, rest);
    return original.call(this, command, args, ...rest);
  };
  if (original[promisify.custom]) {
    wrapper[promisify.custom] = function (command, args, ...rest) {
      record(command, args, rest);
      return original[promisify.custom].call(this, command, args, ...rest);
    };
  }
  cp[method] = wrapper;
}
`;
}

function shimSource(dir: string, realNode: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh\n# Written by test/helpers/process-recorder.ts: records argv, then runs the real node.\nprintf '%s\\0' "$0" "$@" > ${q(dir)}/shim-$$.argv\nexec ${q(realNode)} "$@"\n`;
}

/** A recorder with its own temp dir. */
export class ProcessRecorder {
  /** Creates the temp dir, the preload and the `node` shim. */
  static create(): ProcessRecorder {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tuco-procs-"));
    fs.chmodSync(dir, 0o700);
    const records = path.join(dir, "records");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(records, { mode: 0o700 });
    fs.mkdirSync(bin);
    if (/\s/.test(dir)) throw new Error(`the temp dir ${dir} has white space, which NODE_OPTIONS cannot quote: set TMPDIR to a path without spaces`);
    const preload = path.join(dir, "preload.cjs");
    fs.writeFileSync(preload, preloadSource(records));
    fs.writeFileSync(path.join(bin, "node"), shimSource(records, process.execPath), { mode: 0o755 });
    return new ProcessRecorder(dir, records, bin, preload);
  }

  private constructor(
    readonly dir: string,
    private readonly records: string,
    private readonly bin: string,
    private readonly preload: string,
  ) {}

  /** Variables that make a process and its descendants record themselves: the preload, and the shim first on PATH. */
  env(basePath: string = process.env.PATH ?? ""): { NODE_OPTIONS: string; PATH: string } {
    return { NODE_OPTIONS: `--require ${this.preload}`, PATH: [this.bin, basePath].filter((p) => p !== "").join(path.delimiter) };
  }

  private read<T>(prefix: string, parse: (file: string) => T): T[] {
    return fs
      .readdirSync(this.records)
      .filter((f) => f.startsWith(prefix))
      .sort()
      .map((f) => parse(path.join(this.records, f)));
  }

  /** Every node process recorded so far. */
  nodeProcesses(): NodeProcessRecord[] {
    return this.read("node-", (file) => ({ file, ...(JSON.parse(fs.readFileSync(file, "utf8")) as Omit<NodeProcessRecord, "file">) }));
  }

  /** Every child process a recorded node process spawned. */
  spawns(): SpawnRecord[] {
    return this.read("spawn-", (file) => ({ file, ...(JSON.parse(fs.readFileSync(file, "utf8")) as Omit<SpawnRecord, "file">) }));
  }

  /** Every run of the `node` shim. */
  shimRuns(): ShimRecord[] {
    return this.read("shim-", (file) => ({ file, argv: fs.readFileSync(file, "utf8").split("\0").slice(0, -1) }));
  }

  /** The argv of every recorded process (node's own view, the shim's, and every spawn), as scan artifacts. */
  argvArtifacts(): Artifact[] {
    const label = (argv: string[]) => argv.slice(1, 4).map((a) => path.basename(a)).join(" ");
    return [
      ...this.nodeProcesses().map((p) => ({ name: `argv of node pid ${p.pid} (${label(p.argv)})`, text: JSON.stringify({ argv: p.argv, execArgv: p.execArgv }) })),
      ...this.shimRuns().map((s) => ({ name: `argv at the node shim (${label(s.argv)})`, text: s.argv.join("\0") })),
      ...this.spawns().map((s) => ({ name: `${s.method} by pid ${s.parentPid}`, text: JSON.stringify([s.command, ...s.args]) })),
    ];
  }

  /** Every recorded environment: each node process's own, and each one given explicitly to a spawned child. */
  private environments(): { owner: string; env: Record<string, string> }[] {
    return [
      ...this.nodeProcesses().map((p) => ({ owner: `node pid ${p.pid}`, env: p.env })),
      ...this.spawns().flatMap((s) => (s.env ? [{ owner: `${path.basename(s.command)} spawned by pid ${s.parentPid}`, env: s.env }] : [])),
    ];
  }

  /** The value of every recorded environment variable, except the variables named in `except`. */
  envArtifacts(except: readonly string[] = []): Artifact[] {
    return this.environments().flatMap(({ owner, env }) =>
      Object.entries(env)
        .filter(([name]) => !except.includes(name))
        .map(([name, value]) => ({ name: `env ${name} of ${owner}`, text: String(value) })),
    );
  }

  /** Only the variables named in `only`, of every recorded environment. */
  envArtifactsOf(only: readonly string[]): Artifact[] {
    return this.environments().flatMap(({ owner, env }) =>
      Object.entries(env)
        .filter(([name]) => only.includes(name))
        .map(([name, value]) => ({ name: `env ${name} of ${owner}`, text: String(value) })),
    );
  }

  /** Removes the records (they hold environments in full). */
  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
