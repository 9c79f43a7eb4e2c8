/**
 * Runs examples/cdktf the way the root cdktf.json does (compiled, context from cdktf.json passed
 * as CDKTF_CONTEXT_JSON like the cdktf CLI), then applies it with real terraform against the emulator.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoClient } from "../../src/api/client";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { markedStackKey } from "../helpers/markers";
import { TerraformWorkspace, compileCdktfExample } from "../helpers/terraform";
import { ageDecrypt, ageKeypair } from "../helpers/age";
import { requireBuiltCli, run, runCli } from "../helpers/process";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

const REPO = path.resolve(__dirname, "../..");
const API_KEY = `tuco_sk_example_${crypto.randomBytes(8).toString("hex")}`;
const cdktfJson = JSON.parse(fs.readFileSync(path.join(REPO, "cdktf.json"), "utf8")) as { app: string; language: string; context: Record<string, unknown> };

let ws: TerraformWorkspace;
let emulator: RunningEmulator;
let receiver: TestReceiver;
let client: TucoClient;
let age: { identityFile: string; recipient: string };

async function synthExample(context: Record<string, unknown>, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stderr: string; stackDir: string }> {
  const outdir = path.join(ws.root, "cdktf.out");
  const env = { HOME: path.join(ws.root, "home"), CDKTF_OUTDIR: outdir, CDKTF_CONTEXT_JSON: JSON.stringify(context), TUCO_RECEIVER_URL: receiver.origin, ...extraEnv };
  const { code, stderr } = await run(process.execPath, [path.join(REPO, "dist/examples/cdktf/main.js")], env, { cwd: ws.root });
  return { code, stderr, stackDir: path.join(outdir, "stacks", "webhooks-prod") };
}

beforeAll(async () => {
  requireBuiltCli();
  await compileCdktfExample();
  ws = TerraformWorkspace.create("tuco-example-");
  age = ageKeypair(ws.root);
  emulator = await startEmulator({ port: 0 });
  receiver = await startReceiver();
  client = new TucoClient({ apiKey: API_KEY, apiUrl: emulator.url });
});

afterAll(async () => {
  await client?.close();
  await receiver?.close();
  await emulator?.close();
});

describe("examples/cdktf", () => {
  test("the root cdktf.json points at the example and documents the context keys", () => {
    expect(cdktfJson.language).toBe("typescript");
    expect(cdktfJson.app).toContain("dist/examples/cdktf/main.js");
    expect(Object.keys(cdktfJson.context)).toEqual(["tuco-webhooks:recipients", "tuco-webhooks:resourceType"]);
  });

  test("fails at synthesis, before any API call, while cdktf.json still holds the placeholder recipient", async () => {
    const run = await synthExample(cdktfJson.context);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/recipients\[0\] "age1yourteamspublickeyfromagekeygen" is not a valid X25519 age recipient.*They came from the "tuco-webhooks:recipients" context value/);
  });

  test("synthesizes, applies with terraform, is in sync for drift, and destroys cleanly", { timeout: 90_000 }, async () => {
    const context = { ...cdktfJson.context, "tuco-webhooks:resourceType": "terraform_data" };
    const run = await synthExample(context, { TUCO_AGE_RECIPIENTS: age.recipient });
    expect(run.code, run.stderr).toBe(0);
    const env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: API_KEY };
    await ws.init(run.stackDir, { env });
    await ws.apply(run.stackDir, { env });

    const owned = (await client.list()).filter((w) => markedStackKey(w.description)?.stack === "webhooks-prod");
    expect(owned.map((w) => markedStackKey(w.description)!.key).sort()).toEqual(["billing/failures", "crm", "replies"]);
    expect(owned.find((w) => w.name === "crm-events")).toMatchObject({ url: `${receiver.origin}/tuco/crm`, isActive: true });
    // Sealed where the default puts them: <working directory at synth>/sealed-secrets/<stack>/<key>.age.
    expect(ageDecrypt(path.join(ws.root, "sealed-secrets/webhooks-prod/billing/failures.age"), age.identityFile).length).toBeGreaterThan(16);

    const drift = await runCli(["drift", run.stackDir], env);
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect((await ws.plan(run.stackDir, { env })).code).toBe(0);

    await ws.destroy(run.stackDir, { env });
    expect((await client.list()).filter((w) => markedStackKey(w.description)?.stack === "webhooks-prod")).toEqual([]);
  });
});
