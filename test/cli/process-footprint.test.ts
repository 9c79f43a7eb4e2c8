/**
 * What one provisioner process reads (issue: provisioner speed). Timing lives in `npm run bench`;
 * here the built CLI runs as a provisioner runs it, with a preload that records, at exit, the files
 * it required and node's public modules it loaded, so a change that makes every provisioner load
 * more (a framework, age-encryption, undici's whole index, node:http) fails a test, not a benchmark.
 */
import { readFile } from "node:fs/promises";
import { realpathSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freshInstance } from "../helpers/markers";
import { pauseAt, preload, type ProcessRun, runCli, startCli } from "../helpers/process";
import { freshKey, startCliFixture, type CliFixture } from "./helpers";

const PRELOAD = resolve(__dirname, "../helpers/footprint-preload.cjs");
/** dist/ as require.cache names it (real paths). */
const DIST = realpathSync(resolve(__dirname, "../../dist"));
let fixture: CliFixture;
let runs = 0;

beforeAll(async () => {
  fixture = await startCliFixture("tuco-footprint-");
});
afterAll(() => fixture?.close());

interface Footprint {
  readonly run: ProcessRun;
  /** Required files, relative to dist/ (outside it: the absolute path). */
  readonly files: string[];
  readonly builtins: string[];
}

async function applyWithFootprint(apiKey: string, spec: unknown): Promise<Footprint> {
  const file = join(fixture.dir, `footprint-${++runs}.json`);
  const run = await runCli(["apply", "--spec", JSON.stringify(spec)], {
    TUCO_API_URL: fixture.emulator.url,
    TUCO_API_KEY: apiKey,
    TUCO_STACK_INSTANCE: INSTANCE,
    ...preload(PRELOAD),
    TUCO_TEST_FOOTPRINT_FILE: file,
  });
  const recorded = await readFile(file, "utf8").catch((err: Error) => {
    throw new Error(`the CLI left no footprint (${err.message}); it exited ${run.code}: ${run.stderr}`);
  });
  const { files, builtins } = JSON.parse(recorded) as { files: string[]; builtins: string[] };
  return { run, files: files.map((f) => (f.startsWith(DIST) ? relative(DIST, f) : f)).sort(), builtins };
}

const INSTANCE = freshInstance();
const spec = (key: string) => ({
  stack: "footprint",
  key,
  name: key,
  url: `${fixture.receiver.url}/${key}`,
  events: ["message.sent"],
  seal: { recipients: [fixture.alice.recipient], path: join(fixture.dir, `${key}.age`) },
});

/** node modules no provisioner run needs: HTTP/1 and HTTP/2 servers and clients of node's own, TLS (the emulator is http://), assert. */
const NEVER = ["http", "http2", "https", "tls", "assert"];

describe("one provisioner process", () => {
  test("rejecting a spec reads the dispatcher and the apply command only: no undici, no package from node_modules, no network module", async () => {
    const { run, files, builtins } = await applyWithFootprint(freshKey(), { ...spec("bad"), events: [] });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/events/);
    expect(files).toEqual(["cli/commands/apply.js", "cli/main.js"]);
    for (const name of [...NEVER, "net", "crypto", "fs/promises"]) expect(builtins, name).not.toContain(name);
  });

  test("a create reads the command and the bundled undici, nothing from node_modules (no age-encryption, no framework) and none of node's HTTP or TLS modules", async () => {
    const apiKey = freshKey();
    const { run, files, builtins } = await applyWithFootprint(apiKey, spec("crm"));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/sealed its secret/) });
    expect(files).toEqual(["cli/commands/apply.js", "cli/main.js", "cli/undici.js"]);
    expect(builtins).toContain("crypto");
    for (const name of NEVER) expect(builtins, name).not.toContain(name);

    // Re-applied in sync: the same files, and no node:crypto either (nothing is sealed or minted).
    const again = await applyWithFootprint(apiKey, spec("crm"));
    expect({ code: again.run.code, stderr: again.run.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/in sync/) });
    expect(again.files).toEqual(["cli/commands/apply.js", "cli/main.js", "cli/undici.js"]);
    for (const name of [...NEVER, "crypto"]) expect(again.builtins, name).not.toContain(name);
  });

  test("the bundle keeps stack traces readable: a trace taken inside a create names the lifecycle's functions in dist/cli/commands/apply.js", async () => {
    const apiKey = freshKey();
    const run = startCli(["apply", "--spec", JSON.stringify(spec("traced"))], {
      TUCO_API_URL: fixture.emulator.url,
      TUCO_API_KEY: apiKey,
      TUCO_STACK_INSTANCE: INSTANCE,
      ...pauseAt("before POST /api/webhooks"),
      TUCO_TEST_PAUSE_TRACE: "1",
    });
    try {
      const trace = (await run.waitFor(/tuco-test-trace:[^]*?tuco-test-trace-end/)).split("\n");
      const bundle = join(DIST, "cli", "commands", "apply.js");
      for (const fn of ["createWebhook", "createSealConfirm", "applyDeclaration"]) {
        expect(trace.some((frame) => frame.includes(` ${fn} (${bundle}:`)), `${fn} in\n${trace.join("\n")}`).toBe(true);
      }
    } finally {
      await run.kill();
    }
  });
});
