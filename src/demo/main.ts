#!/usr/bin/env node
/**
 * `npm start`: the whole story in under a minute, on the embedded emulator.
 *
 *   [1/5] deploy examples/ through both front ends (Pulumi via the real dynamic-provider host,
 *         CDKTF via terraform - or, without terraform, the provisioners' own commands)
 *   [2/5] show each webhook with a health-check the local receiver verifies
 *   [3/5] fire every message event; every delivery must succeed and verify
 *   [4/5] change webhooks behind the tools' back; detect and correct the drift
 *   [5/5] destroy; the API has nothing left
 *
 * Exit 0 only when every step did what it says; a failure names the step and exits 1. With
 * TUCO_API_URL set it refuses to run (it creates and deletes webhooks there) unless given
 * --i-know-this-creates-and-deletes-webhooks. Secrets and the API key are never printed.
 */
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TucoClient } from "../api/client";
import { EmulatorControl } from "../emulator/control";
import { startEmulator, type RunningEmulator } from "../emulator/server";
import type { PulumiHost } from "../pulumi/dynamic-provider-host";
import { DemoOutput, fingerprint, StepFailed, type DemoContext } from "./context";
import { startDemoReceiver, type DemoReceiver } from "./receiver";
import { CDKTF_STACK, cleanUp, deploy, destroy, drift, events, show, type DemoState } from "./steps";
import { markedStackKey } from "../webhook/ownership";

export const CONSENT_FLAG = "--i-know-this-creates-and-deletes-webhooks";

const HELP = `Usage: npm start   (node dist/demo/main.js [${CONSENT_FLAG}])

Deploys examples/ through Pulumi and CDKTF, verifies signed deliveries, shows drift being found
and fixed, then destroys everything. With TUCO_API_URL unset it runs on an embedded emulator and
a local receiver: no account, no network.

Against another API (TUCO_API_URL set) it creates and deletes webhooks in that workspace, so it
refuses unless given ${CONSENT_FLAG}. It then also needs TUCO_API_KEY, and
TUCO_DEMO_RECEIVER_URL: a public https:// URL forwarded to the local receiver on
TUCO_DEMO_RECEIVER_PORT (Tuco must reach it), unless the URL is an emulator's.
`;

const STEPS: { name: string; title: string; run: (ctx: DemoContext, state: DemoState) => Promise<void> }[] = [
  { name: "deploy", title: "deploy examples/ through both front ends (Pulumi provider host, CDKTF)", run: deploy },
  { name: "show", title: "show each webhook with its health-check result", run: show },
  { name: "events", title: "fire real message events; the receiver verifies every signature", run: events },
  { name: "drift", title: "change webhooks outside the tools; detect and correct the drift", run: drift },
  { name: "destroy", title: "destroy through both front ends; the API has nothing left", run: destroy },
];

/** `terraform` on PATH, or undefined. */
function findTerraform(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, "terraform");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether `url` answers as a tuco-webhooks emulator (only asked once the user consented). */
async function isEmulator(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, "")}/_emulator/health`, { signal: AbortSignal.timeout(3000) });
    return res.ok && ((await res.json()) as { ok?: boolean }).ok === true;
  } catch {
    return false;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const out = new DemoOutput();
  const started = Date.now();
  if (argv.includes("--help") || argv.includes("-h")) {
    out.line(HELP);
    return 0;
  }
  const unknown = argv.filter((a) => a !== CONSENT_FLAG);
  if (unknown.length > 0) {
    out.line(`tuco-webhooks demo: unknown argument ${JSON.stringify(unknown[0])}\n\n${HELP}`);
    return 1;
  }
  const targetUrl = process.env.TUCO_API_URL?.trim() || undefined;
  if (targetUrl !== undefined && !argv.includes(CONSENT_FLAG)) {
    out.line(`tuco-webhooks demo: REFUSING to run: TUCO_API_URL is set (${targetUrl}).`);
    out.line("The demo creates, changes and deletes webhooks in that API key's workspace. Nothing was sent to it.");
    out.line(`Unset TUCO_API_URL to run on the embedded emulator, or, if you mean it, pass ${CONSENT_FLAG}`);
    out.line("(npm start -- " + CONSENT_FLAG + ").");
    return 1;
  }

  const root = path.resolve(__dirname, "..", "..");
  const cli = path.join(root, "dist", "cli", "main.js");
  for (const needed of [cli, path.join(root, "dist", "examples", "pulumi", "index.js"), path.join(root, "dist", "examples", "cdktf", "main.js")]) {
    if (!fs.existsSync(needed)) {
      out.line(`tuco-webhooks demo: ${path.relative(root, needed)} is missing: run \`npm run build\` (npm start does).`);
      return 1;
    }
  }

  let emulator: RunningEmulator | undefined;
  let receiver: DemoReceiver | undefined;
  let api: TucoClient | undefined;
  let host: PulumiHost | undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tuco-demo-"));
  const state: DemoState = {};
  let ctx: DemoContext | undefined;
  let failed = false;
  try {
    let apiUrl: string;
    let apiKey: string;
    let control: EmulatorControl | undefined;
    let receiverPublicUrl: string | undefined;
    if (targetUrl === undefined) {
      emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 5000 });
      apiUrl = emulator.url;
      apiKey = `tuco_sk_demo_${randomBytes(16).toString("hex")}`;
      control = new EmulatorControl(apiUrl);
    } else {
      apiUrl = targetUrl;
      apiKey = process.env.TUCO_API_KEY ?? "";
      if (apiKey === "") throw new StepFailed("TUCO_API_URL is set but TUCO_API_KEY is not: set the workspace key");
      if (await isEmulator(apiUrl)) control = new EmulatorControl(apiUrl);
      else {
        receiverPublicUrl = process.env.TUCO_DEMO_RECEIVER_URL;
        if (!receiverPublicUrl) throw new StepFailed("a real Tuco API must reach the demo's receiver: set TUCO_DEMO_RECEIVER_URL to a public URL forwarded to TUCO_DEMO_RECEIVER_PORT");
      }
    }
    out.withhold(apiKey);
    receiver = await startDemoReceiver(Number(process.env.TUCO_DEMO_RECEIVER_PORT ?? 0), receiverPublicUrl);
    api = new TucoClient({ apiKey, apiUrl });
    if (!control) {
      const taken = (await api.list()).filter((w) => markedStackKey(w.description)?.stack === CDKTF_STACK);
      if (taken.length > 0) throw new StepFailed(`the workspace already has ${taken.length} webhooks of stack ${CDKTF_STACK}: the demo would prune them; refusing`);
    }
    const terraform = findTerraform();
    ctx = { out, apiUrl, apiKey, control, api, receiver, tmp, root, cli, terraform, stackInstance: randomUUID(), webhooks: [] };
    out.line("tuco-webhooks demo: Infrastructure-as-Code for Tuco webhooks, end to end");
    out.line(`  API:      ${apiUrl} (${emulator ? "embedded emulator" : control ? "an emulator, by consent" : "REAL Tuco API, by consent"}), key ${fingerprint(apiKey)}`);
    out.line(`  receiver: ${receiver.url} (tucoWebhookHandler, one route per webhook)`);
    out.line(`  terraform: ${terraform ?? "NOT on PATH (the CDKTF stack is applied by running its provisioner commands directly)"}`);
    out.line(`  temp dir: ${tmp} (removed at the end)`);

    for (const [i, step] of STEPS.entries()) {
      const t0 = Date.now();
      out.line("");
      out.line(`[${i + 1}/${STEPS.length}] ${step.title}`);
      try {
        await step.run(ctx, state);
        host = state.pulumi?.host;
      } catch (err) {
        host = state.pulumi?.host;
        failed = true;
        const message = err instanceof Error ? err.message : String(err);
        out.line(`FAILED at step ${i + 1}/${STEPS.length} (${step.name}): ${message}`);
        if (!(err instanceof StepFailed) && err instanceof Error && err.stack) out.line(err.stack.split("\n").slice(1, 4).join("\n"));
        break;
      }
      out.line(`      ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    if (failed) {
      const problems = await cleanUp(ctx, state);
      out.line(problems.length === 0 ? "clean-up: removed what the demo had made" : `clean-up problems: ${problems.join("; ")}`);
    }
  } catch (err) {
    failed = true;
    out.line(`FAILED before the steps: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await host?.close().catch(() => {});
    await api?.close().catch(() => {});
    await receiver?.close().catch(() => {});
    await emulator?.close().catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  out.line("");
  out.line(failed ? "demo FAILED (exit 1)" : `demo complete: every step did what it said (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stdout.write(`demo FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
