/**
 * The README's user quick starts, run as written, each in a fresh project of its own kind installed
 * from the npm registry with only its own peers: the packed tarball plus cdktf (CDKTF), plus
 * @pulumi/pulumi (Pulumi), or nothing else (a service that receives the events, with the CLI).
 *
 * The README's fenced blocks tagged `quick-start-<name>` are the script: `sh` blocks run in one bash
 * (set -euo pipefail) in order, a block tagged `terminal` runs in the background as "a second
 * terminal" does (the script goes on once it printed its first line), and a block tagged with a
 * file name is written to that file. One substitution: `npm install tuco-webhooks` installs the
 * tarball `npm pack` made of this checkout, not the registry's copy. Then each project's tree is
 * checked: no second @pulumi/pulumi, no @pulumi/* where Pulumi was not asked for, no cdktf or
 * constructs where no CDK was.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { checkExit, requireBinary, run } from "../helpers/process";

const ROOT = path.resolve(__dirname, "../..");
/** npm installs from the registry, terraform init and apply: minutes on a slow runner. */
const QUICK_START_MS = 300_000;

interface Block {
  readonly lang: string;
  readonly tags: string[];
  readonly body: string;
}

/** The README's fenced code blocks, with the words after the language. */
function readmeBlocks(): Block[] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  return [...readme.matchAll(/^```(\w+)([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], tags: m[2].trim().split(/\s+/).filter(Boolean), body: m[3] }));
}

/** The lowest version of each peer dependency's range (`^3.150.0` -> `3.150.0`), from package.json. */
function peerFloor(name: string): string {
  const range = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { peerDependencies: Record<string, string> }).peerDependencies[name];
  const floor = /^\^(\d+\.\d+\.\d+)$/.exec(range ?? "")?.[1];
  if (!floor) throw new Error(`package.json peerDependencies.${name} is ${JSON.stringify(range)}: this test reads the floor of a ^x.y.z range`);
  return floor;
}

/**
 * The bash script of one quick start, from its blocks. `pin` installs the given versions instead of
 * the latest the README's `npm install` gets (the floors of the peer ranges).
 */
function quickStartScript(name: string, tarball: string, pin: Readonly<Record<string, string>> = {}): string {
  const blocks = readmeBlocks().filter((b) => b.tags[0] === `quick-start-${name}`);
  if (blocks.length === 0) throw new Error(`README.md has no block tagged quick-start-${name}`);
  const lines = ["set -euo pipefail"];
  blocks.forEach((b, i) => {
    const extra = b.tags.slice(1);
    if (extra[0] === "terminal") {
      const log = `.terminal-${i}.log`;
      lines.push(`( ${b.body.trim()} ) > ${log} 2>&1 &`, `until [ -s ${log} ]; do sleep 0.1; done`);
    } else if (extra[0] !== undefined) {
      lines.push(`cat > ${extra[0]} <<'TUCO_QUICK_START_EOF'`, b.body.replace(/\n$/, ""), "TUCO_QUICK_START_EOF");
    } else if (b.lang === "sh") {
      let body = b.body.replace(/\bnpm install tuco-webhooks\b/g, `npm install ${tarball}`);
      for (const [pkg, version] of Object.entries(pin)) body = body.replace(new RegExp(`(npm install .*[ /])${pkg.replace("/", "\\/")}(?=\\s|$)`, "m"), `$1${pkg}@${version}`);
      lines.push(body);
    } else {
      throw new Error(`a ${b.lang} block tagged quick-start-${name} names no file to write`);
    }
  });
  return lines.join("\n");
}

/** Runs a quick start in `cwd` in a process group of its own, killed (emulator, servers) when it ends. */
async function runQuickStart(name: string, cwd: string, tarball: string, pin: Readonly<Record<string, string>> = {}): Promise<{ code: number; output: string }> {
  const { TUCO_API_KEY: _k, TUCO_API_URL: _u, TUCO_STACK_INSTANCE: _i, ...env } = process.env;
  const child = spawn("bash", ["-c", quickStartScript(name, tarball, pin)], { cwd, env: { ...env, NO_COLOR: "1", TF_IN_AUTOMATION: "1" }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  groups.add(child.pid!);
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  // The script's end, not its pipes' (what it left running in the background holds them), then the group goes.
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch {
    // the group is already gone
  }
  groups.delete(child.pid!);
  await closed;
  // Terraform colours its output (the README's commands keep it, as a user sees it): compared without.
  return { code, output: output.replace(/\u001b\[[0-9;]*m/g, "") };
}

/** The packages installed in a project's node_modules, scoped ones as `@scope/name`, nested ones included. */
function installed(project: string): string[] {
  const found: string[] = [];
  const walk = (modules: string, prefix: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith(".")) continue;
      if (entry.startsWith("@")) {
        for (const scoped of readdirSync(path.join(modules, entry))) {
          found.push(`${prefix}${entry}/${scoped}`);
          walk(path.join(modules, entry, scoped, "node_modules"), `${prefix}${entry}/${scoped}>`);
        }
      } else {
        found.push(`${prefix}${entry}`);
        walk(path.join(modules, entry, "node_modules"), `${prefix}${entry}>`);
      }
    }
  };
  walk(path.join(project, "node_modules"), "");
  return found;
}

let work: string;
let tarball: string;
/** Process groups of quick starts still running (a timed-out test leaves its emulator behind otherwise). */
const groups = new Set<number>();

beforeAll(async () => {
  requireBinary("npm", ["--version"], "npm is needed to install the quick starts' projects");
  requireBinary("age-keygen", ["--version"], "age-keygen (apt-get install age) is used by the quick starts");
  work = mkdtempSync(path.join(tmpdir(), "tuco-quick-start-"));
  checkExit(await run("npm", ["pack", "--silent", "--pack-destination", work], {}, { cwd: ROOT }));
  tarball = path.join(work, readdirSync(work).find((f) => f.endsWith(".tgz"))!);
}, 120_000);

afterAll(() => {
  for (const group of groups) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // gone
    }
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

// One at a time: each quick start's emulator listens on port 4010, as the README says.
describe.sequential("the README's quick starts, in fresh projects", () => {
  test("CDKTF: install, synth, apply (secret sealed), change in place, drift and --fix, destroy", { timeout: QUICK_START_MS }, async () => {
    requireBinary("terraform", ["version"], "terraform (1.4+) is needed by the CDKTF quick start");
    const { code, output } = await runQuickStart("cdktf", work, tarball);
    expect(code, output).toBe(0);
    expect(output).toContain("the sealed secret opens");
    const ids = [...output.matchAll(/^([0-9a-f]{24}) +webhooks\/crm@\S+ +active .*"crm-events"/gm)].map((m) => m[1]);
    expect(ids, output).toHaveLength(2);
    expect(ids[1], "the change patched the same webhook").toBe(ids[0]);
    expect(output).toMatch(/~ webhook crm \([0-9a-f]{24}\): isActive false -> true/);
    expect(output).toContain("drift found: exit code 2");
    expect(output).toContain('Fixed: stack "webhooks" is in sync.');
    expect(output).toMatch(/Destroy complete! Resources: 3 destroyed\.\s+no webhooks/);
    const tree = installed(path.join(work, "webhooks-cdktf"));
    expect(tree).toContain("cdktf");
    expect(tree.filter((p) => /(^|>)@pulumi\//.test(p))).toEqual([]);
    expect(tree.filter((p) => p.startsWith("tuco-webhooks>"))).toEqual([]);
  });

  test("Pulumi: install, the program's webhook created, drift found by refresh and patched back, destroyed", { timeout: QUICK_START_MS }, async () => {
    const { code, output } = await runQuickStart("pulumi", work, tarball);
    expect(code, output).toBe(0);
    expect(output).toMatch(/pulumi up: created webhook [0-9a-f]{24}, health-check passed/);
    expect(output).toContain("pulumi refresh: changed isActive");
    expect(output).toContain("pulumi up: active again: true");
    expect(output).toContain("pulumi destroy: 0 webhooks left");
    const tree = installed(path.join(work, "webhooks-pulumi"));
    expect(tree.filter((p) => p.endsWith("@pulumi/pulumi"))).toEqual(["@pulumi/pulumi"]);
    // What each Webhook's state carries in this project: one require of the installed provider module.
    const serialize = `const p = require("tuco-webhooks/pulumi").webhookProvider; require("@pulumi/pulumi").runtime.serializeFunction(() => p, { allowSecrets: true }).then((f) => process.stdout.write(f.text))`;
    const provider = checkExit(await run(process.execPath, ["-e", serialize], {}, { cwd: path.join(work, "webhooks-pulumi") })).stdout;
    expect(provider).toMatch(/require\("tuco-webhooks\/(pulumi\/engine|dist\/pulumi\/provider\.js)"\)/);
    expect(Buffer.byteLength(provider)).toBeLessThanOrEqual(1536);
    expect(tree.filter((p) => /^(cdktf|cdktn|constructs)$/.test(p))).toEqual([]);
  });

  test("at the floors of the peer ranges (@pulumi/pulumi, constructs): the Pulumi and CDKTF quick starts pass the same way", { timeout: 2 * QUICK_START_MS }, async () => {
    const floors = mkdtempSync(path.join(work, "floors-"));
    const pulumi = await runQuickStart("pulumi", floors, tarball, { "@pulumi/pulumi": peerFloor("@pulumi/pulumi") });
    expect(pulumi.code, pulumi.output).toBe(0);
    expect(pulumi.output).toContain("pulumi refresh: changed isActive");
    expect(pulumi.output).toContain("pulumi destroy: 0 webhooks left");
    const version = (dir: string, pkg: string) => (JSON.parse(readFileSync(path.join(floors, dir, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
    expect(version("webhooks-pulumi", "@pulumi/pulumi")).toBe(peerFloor("@pulumi/pulumi"));
    const cdktf = await runQuickStart("cdktf", floors, tarball, { constructs: peerFloor("constructs") });
    expect(cdktf.code, cdktf.output).toBe(0);
    expect(cdktf.output).toMatch(/Destroy complete! Resources: 3 destroyed\.\s+no webhooks/);
    expect(version("webhooks-cdktf", "constructs")).toBe(peerFloor("constructs"));
  });

  test("a receiving service with the CLI only: the webhook made and sealed, its health-check ping verified by the server", { timeout: QUICK_START_MS }, async () => {
    const { code, output } = await runQuickStart("receiver", work, tarball);
    expect(code, output).toBe(0);
    expect(output).toContain("listening on http://127.0.0.1:8080");
    expect(output).toMatch(/verified \S+ \(health-check ping\)/);
    expect(output).toMatch(/health-check of webhook [0-9a-f]{24} passed/);
    const tree = installed(path.join(work, "webhooks-receiver"));
    expect(tree.filter((p) => /(^|>)(@pulumi\/|@cdktf\/|cdktf$|cdktn$|constructs$)/.test(p))).toEqual([]);
    expect(tree.filter((p) => !p.includes(">")).sort()).toEqual(expect.arrayContaining(["age-encryption", "tuco-webhooks", "undici"]));
  });
});
