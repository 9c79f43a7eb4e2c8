/** The five steps of `npm start`. Each throws `StepFailed` (or any error) when it did not do what it claims. */
import * as fs from "node:fs";
import * as path from "node:path";
import { WEBHOOK_EVENTS, type Webhook } from "../api/types";
import { openSealedSecret } from "../secrets/open";
import { loadAge } from "../secrets/seal";
import { markedStackKey, readDescription } from "../webhook/ownership";
import { applyCdktf, destroyCdktf, planCdktf, readStack, runCli, synthCdktf } from "./cdktf";
import { expectThat, fingerprint, type DemoContext, type DeployedWebhook } from "./context";
import { deployPulumi, pulumiSecret } from "./pulumi";
import type { PulumiTestStack } from "../testing/pulumi-program";

/** The CDKTF example's stack name (examples/cdktf/main.ts). */
export const CDKTF_STACK = "webhooks-prod";

/** What the steps hand on to the next ones and to the clean-up. */
export interface DemoState {
  pulumi?: PulumiTestStack;
  cdktfStackDir?: string;
  cdktfDestroyed?: boolean;
  identity?: string;
  /** Verified deliveries per receiver path after step 2's health-checks. */
  verifiedAfterHealthChecks?: Map<string, number>;
}

const pathOf = (url: string) => new URL(url).pathname;
const ownedBy = (w: Webhook, stack: string) => markedStackKey(w.description)?.stack === stack;

/** [1/5] deploy examples/ through both front ends, and hand each secret to the receiver the way a downstream service gets it. */
export async function deploy(ctx: DemoContext, state: DemoState): Promise<void> {
  const { out } = ctx;
  // Pulumi: the example program, its Webhooks created by the real provider host.
  let hostLine = "";
  const pulumi = await deployPulumi(ctx, (host) => (hostLine = `dynamic-provider host from @pulumi/pulumi on 127.0.0.1:${host.port} (gRPC)`));
  state.pulumi = pulumi;
  out.detail(`pulumi: ran examples/pulumi under setMocks; webhooks went through the real ${hostLine}: Check + Create`);
  for (const r of pulumi.webhooks) {
    const hc = r.properties.lastHealthCheck as { success?: boolean; statusCode?: number } | undefined;
    out.detail(`  + ${r.name.padEnd(8)} ${r.id}  health-check after create: ${hc?.success ? `passed (${hc.statusCode})` : "FAILED"}`);
    expectThat(hc?.success, `pulumi: the health-check after creating ${r.name} did not pass`);
    ctx.webhooks.push({ frontEnd: "pulumi", key: r.name, id: r.id, url: String(r.properties.url) });
  }
  if (pulumi.others.length > 0) out.detail(`  (also registered, recorded only: ${pulumi.others.join(", ")})`);

  // CDKTF: synthesize with a fresh age identity, then terraform (or the provisioners' commands).
  const age = await loadAge();
  const identity = await age.generateIdentity();
  const recipient = await age.identityToRecipient(identity);
  ctx.out.withhold(identity);
  state.identity = identity;
  fs.writeFileSync(path.join(ctx.tmp, "age-identity.txt"), `${identity}\n`, { mode: 0o600 });
  const stackDir = await synthCdktf(ctx, recipient);
  state.cdktfStackDir = stackDir;
  const declared = readStack(stackDir);
  out.detail(`cdktf: synthesized examples/cdktf (${ctx.terraform ? "terraform_data" : "null_resource"}) -> stack ${declared.stack}: ${declared.webhooks.map((w) => w.owner.key).join(", ")}; secrets sealed to the demo's age recipient ${recipient.slice(0, 12)}...`);
  if (ctx.terraform) {
    out.detail(`cdktf: terraform init + apply (${ctx.terraform}, offline, HOME/TF_DATA_DIR in the temp dir)`);
  } else {
    out.detail("cdktf: terraform is NOT on PATH, so terraform itself did not run. Instead the demo runs the exact");
    out.detail("       local-exec commands the synthesized stack holds, in terraform's order (tuco-webhooks apply per");
    out.detail("       webhook, then prune). Install terraform (1.11+) to see the real thing.");
  }
  out.detail(`cdktf: ${await applyCdktf(ctx, stackDir)}`);
  const live = await ctx.api.list();
  for (const d of declared.webhooks) {
    const w = live.find((l) => ownedBy(l, declared.stack) && markedStackKey(l.description)?.key === d.owner.key);
    expectThat(w, `cdktf: no live webhook carries the marker of ${declared.stack}/${d.owner.key} after the apply`);
    out.detail(`  + ${d.owner.key.padEnd(16)} ${w.id}  sealed secret: ${path.relative(ctx.tmp, d.seal.path)}`);
    ctx.webhooks.push({ frontEnd: "cdktf", key: d.owner.key, id: w.id, url: w.url });
  }

  // Each secret, obtained as its consumer would: the Pulumi `secret` output; the sealed file opened with the identity.
  for (const w of ctx.webhooks) {
    if (w.frontEnd === "pulumi") {
      w.secret = await pulumiSecret(pulumi, w.key);
      w.secretSource = `Pulumi output ${w.key}.secret`;
    } else {
      const d = declared.webhooks.find((x) => x.owner.key === w.key)!;
      w.secret = await openSealedSecret(fs.readFileSync(d.seal.path), [identity]);
      w.secretSource = `${path.relative(ctx.tmp, d.seal.path)} opened with the demo identity`;
    }
    ctx.out.withhold(w.secret);
    ctx.receiver.setSecret(pathOf(w.url), w.secret);
  }
  out.detail(`receiver: ${ctx.webhooks.length} secrets handed over (Pulumi outputs, age-sealed files); every delivery from now on is verified`);
  expectThat(ctx.webhooks.length === 5, `expected 5 webhooks (2 Pulumi, 3 CDKTF), deployed ${ctx.webhooks.length}`);
}

/** [2/5] show each webhook as the API has it, with a health-check the receiver verifies. */
export async function show(ctx: DemoContext, state: DemoState): Promise<void> {
  const verified = new Map<string, number>();
  for (const w of ctx.webhooks) {
    const live = await ctx.api.get(w.id);
    const p = pathOf(w.url);
    const before = ctx.receiver.stats(p).verified.length;
    const hc = await ctx.api.healthCheck(w.id);
    const after = ctx.receiver.stats(p).verified.length;
    const result = hc.success ? `health-check passed (HTTP ${hc.statusCode}, signature verified by the receiver)` : `health-check FAILED: ${hc.error ?? hc.statusCode}`;
    ctx.out.detail(`${w.frontEnd.padEnd(6)} ${w.key.padEnd(16)} ${w.id}  ${live.isActive ? "active" : "paused"}  ${live.events.length} event(s)  ${p}`);
    ctx.out.detail(`       ${result}; secret ${fingerprint(w.secret!)}`);
    expectThat(hc.success, `the health-check of ${w.frontEnd} ${w.key} failed: ${hc.error ?? hc.statusCode}`);
    expectThat(after === before + 1, `the receiver did not verify the health-check ping of ${w.frontEnd} ${w.key}`);
    verified.set(p, after);
  }
  state.verifiedAfterHealthChecks = verified;
}

/** [3/5] fire every message event; every delivery must succeed and every signature verify. */
export async function events(ctx: DemoContext, state: DemoState): Promise<void> {
  const live = new Map((await ctx.api.list()).map((w) => [w.id, w]));
  if (!ctx.control) {
    // A real Tuco has no API to fire message events: the signed pings of step 2 are the deliveries.
    ctx.out.detail("real Tuco API: message events cannot be fired on demand, so the signed health-check pings of step 2 stand in for them");
    for (const w of ctx.webhooks) expectThat((state.verifiedAfterHealthChecks?.get(pathOf(w.url)) ?? 0) > 0, `no verified delivery for ${w.key}`);
    return;
  }
  const expected = new Map<string, number>();
  let total = 0;
  for (const event of WEBHOOK_EVENTS) {
    const subscribers = ctx.webhooks.filter((w) => live.get(w.id)?.isActive && live.get(w.id)?.events.includes(event));
    const deliveries = await ctx.control.fireEvent(ctx.apiKey, event, { demo: true, note: "fired by npm start" });
    const failed = deliveries.filter((d) => !d.success);
    ctx.out.detail(`${event.padEnd(16)} -> ${deliveries.length} deliver${deliveries.length === 1 ? "y" : "ies"}, ${deliveries.length - failed.length} succeeded`);
    expectThat(failed.length === 0, `${event}: ${failed.length} deliveries failed (${failed.map((d) => `${d.webhookId}: ${d.error ?? d.statusCode}`).join("; ")})`);
    const ours = new Set(ctx.webhooks.map((w) => w.id));
    expectThat(
      deliveries.length === subscribers.length && deliveries.every((d) => ours.has(d.webhookId)),
      `${event}: expected ${subscribers.length} deliveries (the subscribed webhooks), got ${deliveries.length}`,
    );
    for (const w of subscribers) expected.set(w.id, (expected.get(w.id) ?? 0) + 1);
    total += deliveries.length;
  }
  for (const w of ctx.webhooks) {
    const stats = ctx.receiver.stats(pathOf(w.url));
    const got = stats.verified.filter((d) => (d.payload.data as { demo?: boolean } | undefined)?.demo === true).length;
    const want = expected.get(w.id) ?? 0;
    ctx.out.detail(`  ${w.frontEnd.padEnd(6)} ${w.key.padEnd(16)} ${got}/${want} verified with ${fingerprint(w.secret!)} (${w.secretSource})`);
    expectThat(got === want, `${w.frontEnd} ${w.key}: the receiver verified ${got} of ${want} events`);
    expectThat(stats.rejected.length === 0, `${w.frontEnd} ${w.key}: the receiver rejected ${stats.rejected.length} request(s): ${stats.rejected.join(", ")}`);
  }
  // The receiver really checks: a delivery signed with another key is refused.
  const target = ctx.webhooks[0];
  const forged = await fetch(target.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-tuco-event": "message.sent", "x-tuco-signature": "0".repeat(64) },
    body: JSON.stringify({ event: "message.sent", data: { forged: true } }),
  });
  const stats = ctx.receiver.stats(pathOf(target.url));
  expectThat(forged.status === 401 && stats.rejected.length === 1, `a forged delivery to ${target.key} was answered ${forged.status}, not 401`);
  stats.rejected.length = 0;
  ctx.out.detail(`${total} deliveries, all succeeded and verified; a forged signature sent to ${pathOf(target.url)} was refused with 401`);
}

/** [4/5] change one webhook of each front end behind the tools' back; detect the drift, then correct it. */
export async function drift(ctx: DemoContext, state: DemoState): Promise<void> {
  const { out } = ctx;
  // Pulumi: refresh (Read) + preview (Diff) find it, up (Update) corrects it.
  const pulumi = state.pulumi!;
  const crm = pulumi.webhook("crm");
  await ctx.api.update(crm.id, { isActive: false, description: "edited by hand in the dashboard" });
  out.detail(`outside change: PATCH /api/webhooks/${crm.id} (pulumi crm) {isActive: false, description: "edited by hand..."}`);
  const found = (await pulumi.refresh()).find((r) => r.name === "crm")!;
  out.detail(`pulumi refresh (Read via the host): changed: ${found.changed.join(", ") || "none"}`);
  expectThat(found.changed.includes("isActive") && found.changed.includes("description"), "pulumi: the outside change was not detected");
  await pulumi.up();
  const after = (await pulumi.refresh()).find((r) => r.name === "crm")!;
  const crmLive = await ctx.api.get(crm.id);
  out.detail(`pulumi up (Diff + Update via the host): patched in place, same id; refresh again: changed: ${after.changed.join(", ") || "none"}`);
  const restored = readDescription(crmLive.description);
  expectThat(
    after.changed.length === 0 && crmLive.isActive && restored.description === "All message events, synced into the CRM" && restored.marker?.id === crm.id,
    "pulumi: the update did not put the webhook back (with its ownership marker)",
  );

  // CDKTF: terraform cannot see it; `tuco-webhooks drift` does (exit 2) and `drift --fix` corrects it.
  const billing = ctx.webhooks.find((w) => w.frontEnd === "cdktf" && w.key === "billing/failures")!;
  await ctx.api.update(billing.id, { isActive: false, url: `${ctx.receiver.url}/moved-by-hand` });
  out.detail(`outside change: PATCH /api/webhooks/${billing.id} (cdktf billing/failures) {isActive: false, url: ".../moved-by-hand"}`);
  const stackDir = state.cdktfStackDir!;
  const plan = await planCdktf(ctx, stackDir);
  if (plan !== undefined) out.detail(`terraform plan -detailed-exitcode: exit ${plan} (${plan === 0 ? "no changes: terraform cannot see a change made outside it" : "changes"})`);
  const check = await runCli(ctx, ["drift", stackDir]);
  out.detail(`tuco-webhooks drift: exit ${check.code}`);
  for (const l of check.stdout.trim().split("\n").filter((x) => x.trim() !== "")) out.detail(`  ${l}`);
  expectThat(check.code === 2 && check.stdout.includes("billing/failures"), `tuco-webhooks drift exited ${check.code}, expected 2 naming billing/failures: ${check.stderr.trim()}`);
  const fix = await runCli(ctx, ["drift", stackDir, "--fix"]);
  expectThat(fix.code === 0, `tuco-webhooks drift --fix exited ${fix.code}: ${fix.stderr.trim()}`);
  const recheck = await runCli(ctx, ["drift", stackDir]);
  const billingLive = await ctx.api.get(billing.id);
  out.detail(`tuco-webhooks drift --fix: exit ${fix.code}; drift again: exit ${recheck.code} (in sync); ${billing.id} is active at ${pathOf(billingLive.url)} again`);
  expectThat(recheck.code === 0 && billingLive.isActive && billingLive.url === billing.url, "cdktf: drift --fix did not put the webhook back");
}

/** [5/5] destroy through both front ends and ask the API what is left. */
export async function destroy(ctx: DemoContext, state: DemoState): Promise<void> {
  const count = state.pulumi?.webhooks.length ?? 0;
  await state.pulumi!.destroy();
  ctx.out.detail(`pulumi destroy: Delete via the host for ${count} webhooks`);
  ctx.out.detail(`cdktf: ${await destroyCdktf(ctx, state.cdktfStackDir!)}`);
  state.cdktfDestroyed = true;
  const left = await ctx.api.list();
  const ours = new Set(ctx.webhooks.map((w) => w.id));
  if (ctx.control) {
    ctx.out.detail(`GET /api/webhooks -> ${left.length} webhooks left in the workspace`);
    expectThat(left.length === 0, `${left.length} webhooks are left: ${left.map((w) => w.id).join(", ")}`);
  } else {
    const mine = left.filter((w) => ours.has(w.id) || ownedBy(w, CDKTF_STACK));
    ctx.out.detail(`GET /api/webhooks -> none of the demo's ${ours.size} webhooks is left (${left.length} other webhooks untouched)`);
    expectThat(mine.length === 0, `${mine.length} of the demo's webhooks are left: ${mine.map((w) => w.id).join(", ")}`);
  }
}

/** After a failure: remove whatever the demo made, best effort (matters against a real API). */
export async function cleanUp(ctx: DemoContext, state: DemoState): Promise<string[]> {
  const problems: string[] = [];
  if (state.pulumi && state.pulumi.webhooks.length > 0) await state.pulumi.destroy().catch((e: Error) => problems.push(`pulumi delete: ${e.message}`));
  if (state.cdktfStackDir && !state.cdktfDestroyed) await destroyCdktf(ctx, state.cdktfStackDir).catch((e: Error) => problems.push(`cdktf destroy: ${e.message}`));
  return problems;
}

export type { DeployedWebhook };
