/**
 * The bad-input matrix (issue 6): one table (test/helpers/bad-input.ts) of every field x every kind
 * of bad value, run through each boundary where a user can give that field: the shared model, the
 * Pulumi provider's `check` through the real dynamic-provider host, the built CLI's `apply` (spec
 * from --spec, --spec-file and TUCO_WEBHOOK_SPEC in turn) and the `delete`/`prune`/`list` flags, and
 * `TucoWebhook` synthesis. Every message names the field, shows the value and says the fix, and the
 * emulator's request log shows that not one request was sent.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoWebhook, type TucoWebhookProps } from "../../src/cdktf";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { WEBHOOK_TYPE, webhookProvider } from "../../src/pulumi";
import { readDescription } from "../../src/webhook/ownership";
import { validateWebhookSpec } from "../../src/webhook/spec";
import { ABSENT, ACCEPTED, RECIPIENT, SECRET_KEY, badInputs, expectedParts, rowsAt, type BadInput, type Boundary } from "../helpers/bad-input";
import { assertDistIsFresh } from "../helpers/pulumi-fixtures";
import { serializeProvider, startPulumiHost, urnOf, type PulumiHost } from "../helpers/pulumi-host";
import { freshKey, requestsOf } from "../cli/helpers";
import { type ProcessRun, requireBuiltCli, runCli } from "../helpers/process";

let emulator: RunningEmulator;
let control: EmulatorControl;
let host: PulumiHost;
const scratch = mkdtempSync(join(tmpdir(), "tuco-badinput-"));
const paths = { directory: join(scratch, "a-directory"), fileInTheWay: join(scratch, "a-file") };
mkdirSync(paths.directory);
writeFileSync(paths.fileInTheWay, "not a directory");
const ROWS = badInputs(paths);
const PULUMI_KEY = "tuco_sk_badinput_pulumi";

beforeAll(async () => {
  requireBuiltCli();
  assertDistIsFresh();
  emulator = await startEmulator({ port: 0 });
  control = new EmulatorControl(emulator.url);
  const { TUCO_API_KEY: _k, TUCO_API_URL: _u, ...env } = process.env;
  host = await startPulumiHost({ providerText: await serializeProvider(webhookProvider), env });
  await host.configure({ "tuco:apiKey": PULUMI_KEY, "tuco:apiUrl": emulator.url });
});

afterAll(async () => {
  await host?.close();
  await emulator?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const title = (r: BadInput) => `${r.field} ${r.kind}`;

/** `base` with the row's field set to its value, or removed when ABSENT; `path` reaches into nested objects. */
function withValue(base: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...base };
  const [head, ...rest] = path;
  if (rest.length > 0) copy[head] = withValue(copy[head] as Record<string, unknown>, rest, value);
  else if (value === ABSENT) delete copy[head];
  else copy[head] = value;
  return copy;
}

/** Asserts that a message names the field, shows the value, gives the fix and hides what it must. */
function expectMessage(message: string, row: BadInput, boundary: Boundary): void {
  const { name, shows, fix, hides } = expectedParts(row, boundary);
  expect(message, `${title(row)} at ${boundary}`).toContain(name);
  if (shows !== "") expect(message, `${title(row)} at ${boundary}: the value`).toContain(shows);
  expect(message, `${title(row)} at ${boundary}: the fix`).toMatch(fix);
  if (hides) expect(message, `${title(row)} at ${boundary}: never shows it`).not.toContain(hides);
}

const VALID_SPEC = { url: "https://hooks.example.com/tuco", events: ["message.sent"], name: "crm" };

describe("the shared model", () => {
  test.each(rowsAt(ROWS, "model").map((r) => [title(r), r] as const))("rejects %s, naming the field, the value and the fix", (_t, row) => {
    const result = validateWebhookSpec(withValue(VALID_SPEC, [row.field], row.value));
    expect(result.value).toBeUndefined();
    expect(result.problems.map((f) => f.field)).toEqual([row.field]);
    expectMessage(result.problems[0].message, row, "model");
  });
});

describe("the Pulumi provider's check, through the real dynamic-provider host", () => {
  const base = { ...VALID_SPEC, isActive: true, healthCheck: "fail" };
  test.each(rowsAt(ROWS, "pulumi").map((r) => [title(r), r] as const))("rejects %s as one failure on that property", async (_t, row) => {
    const { failures } = await host.check(urnOf(WEBHOOK_TYPE, "bad"), {}, withValue(base, [row.field], row.value));
    expect(failures.map((f) => f.property)).toEqual([row.field]);
    expectMessage(failures[0].reason, row, "pulumi");
    expect(await requestsOf(control, PULUMI_KEY)).toEqual([]);
  });
});

/** The CLI spec's path of a field (seal.recipients, seal.path). */
function cliPath(row: BadInput): string[] {
  return row.field === "recipients" ? ["seal", "recipients"] : row.field === "sealedSecretPath" ? ["seal", "path"] : [row.field];
}

const SOURCES = ["--spec", "--spec-file", "TUCO_WEBHOOK_SPEC"] as const;

/** Runs `apply` with a spec given one of the three ways. */
async function applyWith(source: (typeof SOURCES)[number], spec: unknown, key: string): Promise<ProcessRun> {
  const env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: "badinput" };
  const json = JSON.stringify(spec);
  if (source === "--spec") return runCli(["apply", "--spec", json], env);
  if (source === "TUCO_WEBHOOK_SPEC") return runCli(["apply"], { ...env, TUCO_WEBHOOK_SPEC: json });
  const file = join(scratch, `${key}.json`);
  writeFileSync(file, json);
  return runCli(["apply", "--spec-file", file], env);
}

function cliSpec(): Record<string, unknown> {
  return { stack: "badinput", key: "crm", ...VALID_SPEC, healthCheck: "skip", seal: { recipients: [RECIPIENT], path: join(scratch, "sealed", "crm.age") } };
}

/** One line on stderr, nothing on stdout, exit 1, and no request in the key's workspace. */
async function expectRejected(run: ProcessRun, key: string, row: BadInput, boundary: Boundary): Promise<void> {
  expect(run.code, `${title(row)}: ${run.stderr}`).toBe(1);
  expect(run.stdout).toBe("");
  expect(run.stderr.trim().split("\n"), run.stderr).toHaveLength(1);
  expectMessage(run.stderr, row, boundary);
  expect(await requestsOf(control, key)).toEqual([]);
}

describe("the built CLI's apply, with the spec from --spec, --spec-file and TUCO_WEBHOOK_SPEC in turn", () => {
  const rows = rowsAt(ROWS, "cli");
  test.concurrent.each(rows.map((r, i) => [`${title(r)} (${SOURCES[i % 3]})`, r, SOURCES[i % 3]] as const))(
    "rejects %s with one line on stderr and no request",
    async (_t, row, source) => {
      const key = freshKey();
      const run = await applyWith(source, withValue(cliSpec(), cliPath(row), row.value), key);
      await expectRejected(run, key, row, "cli");
    },
  );
});

describe("the delete, prune and list flags", () => {
  /** Every command line that takes the field as a flag. */
  function commandLines(row: BadInput): string[][] {
    const v = row.value as string;
    if (row.field === "adoptId") return [["delete", "--id", v]];
    if (row.field === "stack") return [["delete", "--stack", v, "--key", "crm"], ["prune", "--stack", v, "--keep", "crm"], ["list", "--stack", v]];
    return [["delete", "--stack", "prod", "--key", v], ["prune", "--stack", "prod", "--keep", v]];
  }
  const cases = rowsAt(ROWS, "flags").flatMap((row) => commandLines(row).map((args) => [`${title(row)}: ${args[0]} ${args.slice(1).map((a) => JSON.stringify(a)).join(" ")}`, row, args] as const));
  test.concurrent.each(cases)("rejects %s", async (_t, row, args) => {
    const key = freshKey();
    const run = await runCli(args, { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: "badinput" });
    await expectRejected(run, key, row, "flags");
  });
});

describe("TucoWebhook synthesis", () => {
  const base: Record<string, unknown> = { ...VALID_SPEC, recipients: [RECIPIENT] };
  test.each(rowsAt(ROWS, "cdktf").map((r) => [title(r), r] as const))("rejects %s, naming the construct and the prop", (_t, row) => {
    const stack = new TerraformStack(new App({ outdir: join(scratch, "cdktf.out") }), "shop");
    let message = "";
    try {
      new TucoWebhook(stack, "crm", withValue(base, [row.field], row.value) as unknown as TucoWebhookProps);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message, `${title(row)} was accepted`).toMatch(/^Invalid webhook "shop\/crm": /);
    expectMessage(message, row, "cdktf");
  });
});

describe("TucoWebhook synthesis, with the stack-wide defaults from the context", () => {
  test.each([
    ["a recipient that is not an age key", { "tuco-webhooks:recipients": ["age1yourteamspublickeyfromagekeygen"] }, ['recipients[0] "age1yourteamspublickeyfromagekeygen"', '"tuco-webhooks:recipients" context value', "copy the public key exactly"]],
    ["a secret key as the recipient", { "tuco-webhooks:recipients": SECRET_KEY }, ["is an age SECRET key", '"tuco-webhooks:recipients" context value', "use its public key"]],
    ["an empty recipients list", { "tuco-webhooks:recipients": [] }, ['the "tuco-webhooks:recipients" context value [] is empty', "age-keygen"]],
    ["an unknown resource type", { "tuco-webhooks:resourceType": "aws_instance" }, ['resourceType (the "tuco-webhooks:resourceType" context value) "aws_instance" is not supported', 'use "null_resource" or "terraform_data"']],
  ] as const)("rejects %s, naming the context key, the value and the fix", (_t, context, says) => {
    const app = new App({ outdir: join(scratch, "cdktf.out"), context: { "tuco-webhooks:recipients": [RECIPIENT], ...context } });
    let message = "";
    try {
      new TucoWebhook(new TerraformStack(app, "shop"), "crm", VALID_SPEC as unknown as TucoWebhookProps);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Invalid webhook "shop\/crm": /);
    for (const part of says) expect(message).toContain(part);
    expect(message).not.toContain(SECRET_KEY);
  });
});

describe("inputs that look wrong but are valid", () => {
  test.each(ACCEPTED.map((a) => [a.kind, a] as const))("accepts %s the same way at every boundary", async (_t, a) => {
    const want = a.normalized === undefined ? null : a.normalized;
    const model = validateWebhookSpec({ ...VALID_SPEC, [a.field]: a.value });
    expect(model.value?.[a.field]).toEqual(want);

    const { inputs, failures } = await host.check(urnOf(WEBHOOK_TYPE, "ok"), {}, { ...VALID_SPEC, [a.field]: a.value });
    expect(failures).toEqual([]);
    expect(inputs[a.field]).toEqual(want);

    const hook = new TucoWebhook(new TerraformStack(new App({ outdir: join(scratch, "cdktf.out") }), "shop"), "crm", {
      ...VALID_SPEC,
      recipients: [RECIPIENT],
      [a.field]: a.value,
    } as TucoWebhookProps);
    expect(hook.declaration.spec[a.field]).toEqual(want);

    const key = freshKey();
    const spec = { ...cliSpec(), [a.field]: a.value, seal: { recipients: [RECIPIENT], path: join(scratch, "sealed", `${key}.age`) } };
    const run = await runCli(["apply", "--spec", JSON.stringify(spec)], { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: "badinput" });
    expect(run.code, run.stderr).toBe(0);
    const posts = (await requestsOf(control, key)).filter((r) => r.method === "POST");
    expect(posts).toHaveLength(1);
    const sent = posts[0].body as Record<string, unknown>;
    if (a.field === "description") expect(readDescription(sent.description as string).description).toEqual(want);
    else expect(sent[a.field]).toEqual(want);
  });
});

describe("the whole matrix", () => {
  test("covers every kind the issue lists for the shared fields, at every boundary that takes them", () => {
    for (const field of ["url", "events", "name"] as const) {
      const kinds = ROWS.filter((r) => r.field === field).map((r) => r.kind).join(" | ");
      for (const kind of ["missing", "null", "empty", "wrong type", "too long", "unicode", "control character"]) {
        expect(kinds, `${field}: ${kind}`).toContain(kind.split(" ")[0]);
      }
    }
    for (const kind of ["http: to a public host", "relative", "malformed", "with credentials"]) expect(ROWS.some((r) => r.field === "url" && r.kind.startsWith(kind))).toBe(true);
    expect(ROWS.some((r) => r.field === "events" && r.kind === "holding an unknown event")).toBe(true);
    expect(ACCEPTED.some((a) => a.field === "events" && /duplicate/.test(a.kind))).toBe(true);
  });

  test("sent no request to the API for any bad input", async () => {
    const log = await control.requests();
    // Only the accepted inputs' applies wrote anything: one POST each (a create), then the PATCH that confirms its marker.
    const creates = log.filter((r) => r.method === "POST" && r.path === "/api/webhooks");
    expect(creates).toHaveLength(ACCEPTED.length);
    const confirms = log.filter((r) => r.method === "PATCH");
    expect(confirms).toHaveLength(creates.length);
    for (const c of confirms) expect(c.path).toBe(`/api/webhooks/${/ id=(\w+) sum=[0-9a-f]{8}\]/.exec(String((c.body as { description?: string }).description))?.[1]}`);
    expect(log.filter((r) => !["POST", "GET", "PATCH"].includes(r.method))).toEqual([]);
  });
});
