/**
 * The packed tarball in the projects of CDK users, each with only its own peers linked from this
 * repository's node_modules (no registry needed): a CDK Terrain project (cdktn, constructs; no
 * cdktf anywhere it can resolve) and a cdktf project without the optional @cdktf/provider-null.
 * Each type-checks a program against the package's declarations (skipLibCheck off), runs it, and
 * reports which packages node loaded: an entry point loads its own library only, never the
 * other's nor Pulumi, and @cdktf/provider-null only for a null_resource.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { checkExit, run } from "../helpers/process";
import { assertDistIsFresh } from "../helpers/pulumi-fixtures";

const ROOT = path.resolve(__dirname, "../..");
const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
/** What the package itself needs at runtime (its dependencies), besides each project's peers. */
const DEPENDENCIES = ["undici", "age-encryption"];

let work: string;
let tarball: string;

/** A consumer project: the unpacked tarball in its node_modules, and only `packages` linked beside it. */
async function project(name: string, packages: string[]): Promise<string> {
  const dir = path.join(work, name);
  const modules = path.join(dir, "node_modules");
  mkdirSync(path.join(modules, "tuco-webhooks"), { recursive: true });
  checkExit(await run("tar", ["-xzf", tarball, "-C", path.join(modules, "tuco-webhooks"), "--strip-components=1"]));
  for (const p of [...packages, ...DEPENDENCIES, "@types/node"]) link(dir, p);
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true }));
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, skipLibCheck: false, types: ["node"], outDir: "out" }, include: ["main.ts"] }),
  );
  return dir;
}

/** Links one package of this repository's node_modules into a project. */
function link(dir: string, name: string): void {
  const target = path.join(dir, "node_modules", name);
  mkdirSync(path.dirname(target), { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules", name), target);
}

/** Type-checks and compiles the project's main.ts (throws with tsc's output on an error), returning the compiled file. */
async function compile(dir: string, source: string): Promise<string> {
  writeFileSync(path.join(dir, "main.ts"), source);
  const tsc = await run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", dir], {}, { cwd: dir });
  expect(tsc.stdout + tsc.stderr, "tsc in the consumer project").toBe("");
  checkExit(tsc);
  return path.join(dir, "out", "main.js");
}

/**
 * Runs `script` (CommonJS) in the project and returns what it printed as JSON; `loaded()` there
 * names every package node has loaded so far, by the folder it was loaded from.
 */
async function runIn(dir: string, script: string): Promise<Record<string, unknown>> {
  const prelude = `
    const loaded = () => [...new Set(Object.keys(require.cache).map((f) => /.*\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f)?.[1]).filter(Boolean))].sort();
    const failure = (build) => { try { build(); return ""; } catch (err) { return err.message; } };
  `;
  const done = checkExit(await run(process.execPath, ["-e", prelude + script], {}, { cwd: dir }));
  return JSON.parse(done.stdout) as Record<string, unknown>;
}

beforeAll(async () => {
  assertDistIsFresh(["cdk", "cdktf", "cdktn", "webhook", "api"]);
  work = mkdtempSync(path.join(tmpdir(), "tuco-cdk-consumers-"));
  checkExit(await run("npm", ["pack", "--silent", "--pack-destination", work], process.env, { cwd: ROOT }));
  tarball = path.join(work, readdirSync(work).find((f) => f.endsWith(".tgz"))!);
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("a CDK Terrain project (cdktn and constructs, no cdktf)", () => {
  let dir: string;
  let main: string;

  beforeAll(async () => {
    dir = await project("cdktn-app", ["cdktn", "constructs"]);
    main = await compile(
      dir,
      `
      import { App, TerraformStack, type TerraformResource } from "cdktn";
      import { RECIPIENTS_CONTEXT, TucoWebhook, TucoWebhookPrune, type TucoWebhookProps } from "tuco-webhooks/cdktn";

      const app = new App({ outdir: process.argv[2], context: { [RECIPIENTS_CONTEXT]: ["${RECIPIENT}"] } });
      const stack = new TerraformStack(app, "shop");
      const props: TucoWebhookProps = { name: "CRM", url: "https://hooks.example.com/crm", events: ["message.sent"] };
      const hook: TucoWebhook = new TucoWebhook(stack, "crm", props);
      // The library's own resource type, not a look-alike.
      const resource: TerraformResource = hook.resource;
      const prune: TucoWebhookPrune = TucoWebhookPrune.of(stack);
      console.error(resource.terraformResourceType, prune.node.path);
      app.synth();
      `,
    );
  }, 120_000);

  test("cannot resolve cdktf at all: the project is what a cdktn-only user has", async () => {
    const out = await runIn(dir, `process.stdout.write(JSON.stringify({ cdktf: failure(() => require.resolve("cdktf")), cdktn: require.resolve("cdktn") }));`);
    expect(out).toEqual({ cdktf: expect.stringMatching(/^Cannot find module 'cdktf'/), cdktn: expect.stringMatching(/\/node_modules\/cdktn\/lib\/index\.js$/) });
  });

  test("type-checks a program against tuco-webhooks/cdktn's declarations, which synthesizes terraform_data loading neither cdktf nor Pulumi", async () => {
    const outdir = path.join(dir, "cdktf.out");
    const out = await runIn(dir, `process.argv[2] = ${JSON.stringify(outdir)}; require(${JSON.stringify(main)}); process.stdout.write(JSON.stringify({ loaded: loaded() }));`);
    expect(out.loaded).toEqual(expect.arrayContaining(["cdktn", "constructs", "tuco-webhooks"]));
    expect((out.loaded as string[]).filter((p) => /^(cdktf|@cdktf\/.*|@pulumi\/.*)$/.test(p))).toEqual([]);
    const doc = JSON.parse(readFileSync(path.join(outdir, "stacks", "shop", "cdk.tf.json"), "utf8"));
    expect(Object.keys(doc.resource)).toEqual(["terraform_data"]);
    expect(doc["//"].metadata.version).toBe("0.24.0");
  });

  test("imports tuco-webhooks/cdktn from ESM with static named imports", async () => {
    const names = ["TucoWebhook", "TucoWebhookPrune", "RECIPIENTS_CONTEXT", "RESOURCE_TYPE_CONTEXT", "readSynthesizedStack", "SynthesizedStackError", "tucoCliPath"];
    writeFileSync(path.join(dir, "esm.mjs"), `import { ${names.join(", ")} } from "tuco-webhooks/cdktn";\nprocess.stdout.write(JSON.stringify([${names.join(", ")}].map((v) => typeof v)));\n`);
    const done = checkExit(await run(process.execPath, ["esm.mjs"], {}, { cwd: dir }));
    expect(JSON.parse(done.stdout)).toEqual(["function", "function", "string", "string", "function", "function", "function"]);
  });

  test("refuses null_resource at synthesis, naming the field, the value and the fix", async () => {
    const out = await runIn(
      dir,
      `
      const { App, TerraformStack } = require("cdktn");
      const { TucoWebhook } = require("tuco-webhooks/cdktn");
      const stack = new TerraformStack(new App({ outdir: "unused" }), "shop");
      const message = failure(() => new TucoWebhook(stack, "crm", { name: "CRM", url: "https://hooks.example.com/crm", events: ["message.sent"], recipients: ["${RECIPIENT}"], resourceType: "null_resource" }));
      process.stdout.write(JSON.stringify({ message, loaded: loaded() }));
      `,
    );
    expect(out.message).toMatch(/^Invalid webhook "shop\/crm": resourceType "null_resource" is not available under CDK Terrain \(cdktn\).*use "terraform_data" or leave resourceType out/);
    expect((out.loaded as string[]).filter((p) => /^(cdktf|@cdktf\/.*)$/.test(p))).toEqual([]);
  });
});

describe("a cdktf project without @cdktf/provider-null", () => {
  let dir: string;
  let main: string;

  beforeAll(async () => {
    dir = await project("cdktf-app", ["cdktf", "constructs"]);
    main = await compile(
      dir,
      `
      import { App, TerraformStack, type TerraformResource } from "cdktf";
      import { TucoWebhook } from "tuco-webhooks/cdktf";

      const app = new App({ outdir: process.argv[2] });
      const stack = new TerraformStack(app, "shop");
      const resource: TerraformResource = new TucoWebhook(stack, "crm", {
        name: "CRM", url: "https://hooks.example.com/crm", events: ["message.sent"], recipients: ["${RECIPIENT}"], resourceType: process.argv[3] as "terraform_data",
      }).resource;
      console.error(resource.terraformResourceType);
      app.synth();
      `,
    );
  }, 120_000);

  /** Runs main.js with `resourceType`; what it threw, what node loaded, and the resource types synthesized. */
  const synth = (resourceType: string, outdir: string) =>
    runIn(
      dir,
      `
      process.argv[2] = ${JSON.stringify(path.join(dir, outdir))}; process.argv[3] = ${JSON.stringify(resourceType)};
      const message = failure(() => require(${JSON.stringify(main)}));
      let types = [];
      try { types = Object.keys(JSON.parse(require("fs").readFileSync(process.argv[2] + "/stacks/shop/cdk.tf.json", "utf8")).resource); } catch {}
      process.stdout.write(JSON.stringify({ message, loaded: loaded(), types }));
      `,
    );

  test("type-checks and synthesizes terraform_data without loading @cdktf/provider-null, cdktn or Pulumi", async () => {
    const out = await synth("terraform_data", "out-data");
    expect(out).toMatchObject({ message: "", types: ["terraform_data"] });
    expect(out.loaded).toEqual(expect.arrayContaining(["cdktf", "constructs", "tuco-webhooks"]));
    expect((out.loaded as string[]).filter((p) => /^(cdktn|@cdktn\/.*|@cdktf\/provider-null|@pulumi\/.*)$/.test(p))).toEqual([]);
  });

  test("refuses null_resource while @cdktf/provider-null is missing, saying to install it or use terraform_data", async () => {
    const out = await synth("null_resource", "out-null-missing");
    expect(out.message).toBe(
      'Invalid webhook "shop/crm": resourceType "null_resource" needs @cdktf/provider-null, which is not installed: ' +
        '`npm install @cdktf/provider-null`, or use "terraform_data" (built into Terraform 1.4+, no provider to install)',
    );
  });

  test("once @cdktf/provider-null is installed, loads it for a null_resource only", async () => {
    link(dir, "@cdktf/provider-null");
    const data = await synth("terraform_data", "out-data-2");
    expect(data.loaded).not.toContain("@cdktf/provider-null");
    const nulls = await synth("null_resource", "out-null");
    expect(nulls).toMatchObject({ message: "", types: ["null_resource"] });
    expect(nulls.loaded).toContain("@cdktf/provider-null");
  });
});
