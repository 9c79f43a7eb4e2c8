// HTTP requests per lifecycle operation, for both front ends, counted from the emulator's request
// log, against the minimum the API allows. Pulumi: the provider driven through the real
// dynamic-provider host (Check/Diff/Create/Read/Update/Delete as the engine calls them). CDKTF:
// the CLI commands exactly as the synthesized provisioners run them (one process each).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { ageRecipient, cli, countRequests, dist, root, runNode, startOkReceiver, synthStack } from "./lib.mjs";

const KEY = "tuco_sk_bench_requests";

export async function run() {
  const { startEmulator, EmulatorControl } = dist("emulator/index.js");
  const { startPulumiHost, serializeProvider, urnOf } = dist("pulumi/dynamic-provider-host.js");
  const { webhookProvider, WEBHOOK_TYPE } = dist("pulumi/index.js");
  const emulator = await startEmulator({ port: 0 });
  const control = new EmulatorControl(emulator.url);
  const receiver = await startOkReceiver();
  const tmp = mkdtempSync(`${tmpdir()}/tuco-bench-req-`);
  const measure = async (fn) => {
    await control.clearRequests();
    await fn();
    return countRequests(control);
  };
  const rows = [];
  const row = (what, m, min, minText) =>
    rows.push([what, `${m.total} (${m.writes} writes): ${m.summary}`, minText, min === 0 ? (m.writes === 0 ? "0 writes = min" : "over") : (m.total / min).toFixed(2)]);

  // Pulumi, through the real host.
  const { TUCO_API_KEY: _k, TUCO_API_URL: _u, ...env } = process.env;
  const host = await startPulumiHost({ providerText: await serializeProvider(webhookProvider), project: "bench", env, cwd: root });
  try {
    await host.configure({ "tuco:apiKey": KEY, "tuco:apiUrl": emulator.url });
    const urn = urnOf(WEBHOOK_TYPE, "w0", "bench", "bench");
    const news = { url: `${receiver.url}/p0`, events: ["message.sent"], name: "w0", description: null, isActive: true, healthCheck: "fail", adoptId: null };
    let inputs, id, props;
    row("Pulumi create (`pulumi up`, new resource)", await measure(async () => {
      ({ inputs } = await host.check(urn, {}, news));
      ({ id, properties: props } = await host.create(urn, inputs));
    }), 2, "2: POST + health-check (API minimum)");
    row("Pulumi no-change `pulumi up`", await measure(async () => {
      const checked = await host.check(urn, inputs, news);
      const d = await host.diff(id, urn, props, checked.inputs);
      if (d.changes === "some") await host.update(id, urn, props, checked.inputs);
    }), 0, "0 writes (0 requests)");
    row("Pulumi refresh (`pulumi refresh`)", await measure(async () => {
      ({ properties: props } = await host.read(id, urn, props, inputs));
    }), 1, "1: GET /:id");
    row("Pulumi update (description changed)", await measure(async () => {
      const checked = await host.check(urn, inputs, { ...news, description: "changed" });
      await host.diff(id, urn, props, checked.inputs);
      ({ properties: props } = await host.update(id, urn, props, checked.inputs));
    }), 2, "2: PATCH + health-check");
    row("Pulumi delete (`pulumi destroy`)", await measure(() => host.delete(id, urn, props)), 1, "1: DELETE");
  } finally {
    await host.close();
  }

  // CDKTF: the provisioners' CLI commands.
  const { stackDir, specs } = synthStack(tmp, { n: 1, receiverUrl: receiver.url, recipient: await ageRecipient() });
  // The stack instance, as the provisioners get it from the Terraform state (no state here).
  const cliEnv = { TUCO_API_URL: emulator.url, TUCO_API_KEY: KEY, TUCO_STACK_INSTANCE: "bench-instance" };
  const runCli = async (args, extra = {}) => {
    const r = await runNode([cli, ...args], { ...cliEnv, ...extra });
    if (r.code !== 0 && !(args[0] === "drift" && r.code === 2)) throw new Error(`tuco-webhooks ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  };
  const changed = JSON.stringify({ ...JSON.parse(specs[0]), description: "changed" });
  row("CLI create (`apply`, terraform create)", await measure(() => runCli(["apply"], { TUCO_WEBHOOK_SPEC: specs[0] })), 2, "2: POST + health-check (API minimum)");
  row("CLI re-run provisioner, in sync (`terraform taint` + apply)", await measure(() => runCli(["apply"], { TUCO_WEBHOOK_SPEC: specs[0] })), 0, "0 writes (list + health-check)");
  row("CLI refresh (`drift`, whole stack)", await measure(() => runCli(["drift", stackDir])), 1, "1: list, for any number of webhooks");
  row("CLI update (`apply`, description changed)", await measure(() => runCli(["apply"], { TUCO_WEBHOOK_SPEC: changed })), 3, "3: list + PATCH + health-check");
  row("CLI delete (`delete --stack --key`, destroy provisioner)", await measure(() => runCli(["delete", "--stack", "bench", "--key", "w0"])), 2, "2: list + DELETE");

  await receiver.close();
  await emulator.close();
  rmSync(tmp, { recursive: true, force: true });
  return {
    title: "HTTP requests per lifecycle operation (emulator request log)",
    rows,
    note: [
      "Ratio = requests / the minimum. The API's minimum for a create is POST + the health-check (the front ends health-check every apply by default);",
      "a no-change apply must make 0 writes (a no-change `terraform apply` runs no provisioner at all: 0 requests; a provisioner re-run on an",
      "in-sync webhook, after a taint or a failed apply, patches nothing but health-checks again, so a broken endpoint is never passed). The CLI adds one `GET /api/webhooks` to every command: a provisioner has no state of its own, so it finds",
      "its webhook by the ownership marker in the description (Tuco has no lookup by name or tag, and a re-run provisioner must not create a twin).",
      "The same list makes the CLI's refresh (`drift`) one request for a whole stack. Pulumi's create and update add one `GET /:id` after the",
      "health-check: the POST answer lacks isActive/updatedAt/the counters and PATCH answers only `{success:true}`, so the engine reads the",
      "webhook back once to store Tuco's own view, which keeps the next refresh empty. Pulumi's update also GETs the live webhook first to patch",
      "only the fields that differ (a concurrent outside change to another field is not overwritten).",
      "Creates cost three requests over the API's minimum, the price of a create that survives being stopped at any instant (docs/ownership.md):",
      "the CLI's create is list, POST with a pending marker, list again (of two concurrent creates of one key the older wins: without this second",
      "list two runs could both report their secret sealed), seal, PATCH to the confirmed marker (it names the webhook's id, which only the POST's",
      "answer gives, so it cannot ride on the POST). Pulumi's create is list (delete what this resource's stopped creates left pending: their",
      "secret never reached the state), POST with the pending marker, health-check, PATCH to the confirmed marker, then the read-back GET.",
      "Updates and refreshes cost what they did. Pulumi's delete GETs the webhook before its DELETE: one that a CDKTF stack or another resource has since taken over (its confirmed marker names them) is left to its new owner, not deleted.",
    ].join(" "),
  };
}
