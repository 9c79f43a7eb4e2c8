/**
 * A synthesized stack edited by hand (issue 6). What reads cdk.tf.json: `tuco-webhooks drift` reads
 * the triggers; the provisioners that Terraform runs read their own command line and environment
 * (`apply` takes TUCO_WEBHOOK_SPEC, `delete` its --stack/--key, `prune` its --stack/--keep). A hand
 * edit can break either, or make them disagree, so that Terraform applies one webhook while drift
 * compares another. Every such file is rejected, before any API call, naming the file, the resource
 * and the field; through real Terraform, the provisioner's own check fails the resource and
 * Terraform names the file and the resource around our message.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TucoWebhook } from "../../src/cdktf";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { RECIPIENT } from "../helpers/bad-input";
import { TerraformWorkspace } from "../helpers/terraform";
import { requireBuiltCli, runCli } from "../helpers/process";

/** A parsed cdk.tf.json, or an object inside one, edited freely by the tampering functions. */
type Json = Record<string, unknown>;
const o = (value: unknown): Json => value as Json;

const API_KEY = `tuco_sk_tamper_${crypto.randomBytes(8).toString("hex")}`;
let root: string;
let emulator: RunningEmulator;
let control: EmulatorControl;
let env: NodeJS.ProcessEnv;
let pristine: Json;
/** The nested construct's resource name carries a hash: found, not guessed. */
let LEDGER = "";

beforeAll(async () => {
  requireBuiltCli();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "tuco-tamper-"));
  emulator = await startEmulator({ port: 0 });
  control = new EmulatorControl(emulator.url);
  env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: API_KEY, TUCO_STACK_INSTANCE: "tampered" };
  const app = new App({ outdir: path.join(root, "cdktf.out") });
  const stack = new TerraformStack(app, "shop");
  const common = { recipients: [RECIPIENT], resourceType: "null_resource" as const, healthCheck: "skip" as const };
  new TucoWebhook(stack, "crm", { ...common, name: "CRM", url: "https://hooks.example.com/crm", events: ["message.sent"], sealedSecretPath: path.join(root, "crm.age") });
  new TucoWebhook(new Construct(stack, "team"), "ledger", { ...common, name: "Ledger", url: "https://hooks.example.com/ledger", events: ["message.failed"], sealedSecretPath: path.join(root, "ledger.age") });
  app.synth();
  pristine = JSON.parse(fs.readFileSync(path.join(root, "cdktf.out", "stacks", "shop", "cdk.tf.json"), "utf8"));
  LEDGER = Object.keys(resources(pristine)).find((n) => n.startsWith("team_ledger"))!;
  expect(Object.keys(resources(pristine)).sort()).toEqual(["TucoWebhooksInstance", "TucoWebhooksPrune", "crm", LEDGER].sort());
});

afterAll(async () => {
  await emulator?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const clone = (): Json => JSON.parse(JSON.stringify(pristine));
const resources = (doc: Json): Json => o(o(doc.resource).null_resource);
const crm = (doc: Json): Json => o(resources(doc).crm);
const prune = (doc: Json): Json => o(resources(doc).TucoWebhooksPrune);
/** The local-exec block of a resource's i-th provisioner (0: create, 1: destroy). */
const exec = (body: Json, i: number): Json => o(o((body.provisioner as unknown[])[i])["local-exec"]);
/** Rewrites the command of a resource's i-th provisioner. */
const command = (body: Json, i: number, edit: (command: string) => string): void => {
  exec(body, i).command = edit(exec(body, i).command as string);
};
/** Edits the declaration in a resource's trigger, its provisioner environment, or both. */
function editSpec(body: Json, where: "trigger" | "environment" | "both", edit: (spec: Json) => void): void {
  const holders: [Json, string][] = [];
  if (where !== "environment") holders.push([o(body.triggers), "tuco_webhook"]);
  if (where !== "trigger") holders.push([o(exec(body, 0).environment), "TUCO_WEBHOOK_SPEC"]);
  for (const [holder, key] of holders) {
    const spec = JSON.parse(holder[key] as string) as Json;
    edit(spec);
    holder[key] = JSON.stringify(spec);
  }
}

/** A hand edit, and what the one line on stderr must name besides the file. */
type Tamper = readonly [title: string, edit: (doc: Json) => void, says: readonly string[]];

const TAMPERS: readonly Tamper[] = [
  ["an unknown event in the trigger and the environment", (d) => editSpec(crm(d), "both", (s) => (s.events = ["message.exploded"])), ["resource.null_resource.crm", 'events ["message.exploded"] contains unknown event', "choose from"]],
  ["plain http to a public host", (d) => editSpec(crm(d), "both", (s) => (s.url = "http://hooks.example.com/crm")), ["resource.null_resource.crm", 'url "http://hooks.example.com/crm" uses plain http://', "use https://"]],
  ["a typo'd field", (d) => editSpec(crm(d), "both", (s) => (s.healthcheck = "warn")), ["resource.null_resource.crm", 'unknown field "healthcheck"']],
  ["a recipient with a broken checksum", (d) => editSpec(crm(d), "both", (s) => (o(s.seal).recipients = [`${RECIPIENT.slice(0, -1)}q`])), ["resource.null_resource.crm", "seal.recipients[0]", "is not a valid X25519 age recipient"]],
  ["a seal path with a newline", (d) => editSpec(crm(d), "both", (s) => (o(s.seal).path = "/tmp/crm\n.age")), ["resource.null_resource.crm", 'seal.path "/tmp/crm\\n.age" contains control characters']],
  ["a hand-written ownership marker", (d) => editSpec(crm(d), "both", (s) => (s.description = "x\n\n[tuco-webhooks stack=other key=crm]")), ["resource.null_resource.crm", "contains a tuco-webhooks ownership marker"]],
  ["a stack name that cannot be a marker", (d) => editSpec(crm(d), "both", (s) => (s.stack = "my shop")), ["resource.null_resource.crm", 'stack "my shop" cannot mark webhook ownership']],
  ["a trigger that is not JSON", (d) => (o(crm(d).triggers).tuco_webhook = "{url: nope"), ["resource.null_resource.crm trigger tuco_webhook is not valid JSON"]],
  ["a trigger that is not a string", (d) => (o(crm(d).triggers).tuco_webhook = 42), ["resource.null_resource.crm trigger tuco_webhook 42 is not a string"]],
  ["a url changed in the trigger only", (d) => editSpec(crm(d), "trigger", (s) => (s.url = "https://elsewhere.example.com/crm")), ["resource.null_resource.crm", 'TUCO_WEBHOOK_SPEC (what apply runs with) has url "https://hooks.example.com/crm"', 'trigger tuco_webhook (what drift and Terraform\'s plan read) has "https://elsewhere.example.com/crm"']],
  ["isActive changed in the environment only", (d) => editSpec(crm(d), "environment", (s) => (s.isActive = false)), ["resource.null_resource.crm", "TUCO_WEBHOOK_SPEC (what apply runs with) has isActive false", "has true"]],
  ["an invalid spec in the environment only", (d) => editSpec(crm(d), "environment", (s) => (s.name = "")), ["resource.null_resource.crm provisioner environment TUCO_WEBHOOK_SPEC", 'name "" is empty']],
  ["the environment removed", (d) => delete exec(crm(d), 0).environment, ["resource.null_resource.crm provisioner environment TUCO_WEBHOOK_SPEC undefined is not a string"]],
  ["the create command replaced", (d) => command(crm(d), 0, () => "echo applied"), ["resource.null_resource.crm", "its create-time provisioner must be the one command", '"echo applied"']],
  ["the destroy command pointed at another key", (d) => command(crm(d), 1, (c) => c.replace("'crm'", "'team/ledger'")), ["resource.null_resource.crm", "its destroy-time provisioner must be", "delete --stack 'shop' --key 'crm'"]],
  ["the destroy command removed", (d) => (crm(d).provisioner as unknown[]).pop(), ["resource.null_resource.crm", "its destroy-time provisioner must be", "(found [])"]],
  ["the prune trigger missing a declared key", (d) => (o(prune(d).triggers).tuco_webhooks_prune = JSON.stringify({ stack: "shop", keep: ["crm"] })), ["resource.null_resource.TucoWebhooksPrune", 'keeps ["crm"]', 'declares the keys ["crm","team/ledger"]', "prune would delete a declared webhook"]],
  ["the prune command missing a declared key", (d) => command(prune(d), 0, (c) => c.replace("'crm,team/ledger'", "'crm'")), ["resource.null_resource.TucoWebhooksPrune", "its create-time provisioner must be", "--keep 'crm,team/ledger'"]],
  ["the prune destroy command keeping a key", (d) => command(prune(d), 1, (c) => c.replace("--keep ''", "--keep 'crm'")), ["resource.null_resource.TucoWebhooksPrune", "its destroy-time provisioner must be", "--keep ''"]],
  ["the prune resource deleted", (d) => delete resources(d).TucoWebhooksPrune, ["declares webhooks but no prune resource", "would never be deleted"]],
  ["the trigger key renamed", (d) => (crm(d).triggers = { tuco_webhookx: o(crm(d).triggers).tuco_webhook }), ["resource.null_resource.crm.triggers holds neither trigger tuco_webhook nor tuco_webhooks_prune"]],
  ["the triggers removed", (d) => delete crm(d).triggers, ["resource.null_resource.crm.triggers undefined must hold trigger tuco_webhook"]],
  ["the resource moved under another type", (d) => {
    o(d.resource).local_file = { crm: crm(d) };
    delete resources(d).crm;
  }, ["resource.local_file.crm runs tuco-webhooks provisioners but is a local_file"]],
  ["a resource copied under another name", (d) => (resources(d).crm_copy = crm(d)), ['declares the key "crm"', "resource.null_resource.crm"]],
  ["one resource moved to another stack", (d) => {
    const ledger = o(resources(d)[LEDGER]);
    editSpec(ledger, "both", (s) => (s.stack = "other"));
    command(ledger, 1, (c) => c.replace("--stack 'shop'", "--stack 'other'"));
  }, ["declares webhooks of several stacks (", "other"]],
  ["a resource that is not an object", (d) => (resources(d).crm = "crm"), ["resource.null_resource.crm is not an object"]],
  ["the stack instance trigger pointed at another resource", (d) => (o(crm(d).triggers).tuco_instance = "${null_resource.elsewhere.id}"), ["resource.null_resource.crm", "trigger tuco_instance", "must be \"${null_resource.TucoWebhooksInstance.id}\""]],
  ["the stack instance given to apply as a fixed value", (d) => (o(exec(crm(d), 0).environment).TUCO_STACK_INSTANCE = "someone-else"), ["resource.null_resource.crm", "create-time provisioner environment must be", "${self.triggers.tuco_instance}"]],
  ["the stack instance left out of the destroy command", (d) => delete exec(crm(d), 1).environment, ["resource.null_resource.crm", "destroy-time provisioner environment must be"]],
  ["the prune resource's stack instance pointed elsewhere", (d) => (o(prune(d).triggers).tuco_instance = "other"), ["resource.null_resource.TucoWebhooksPrune", "trigger tuco_instance"]],
  ["the stack instance output removed", (d) => delete d.output, ["the stack has no output tuco_webhooks_instance naming its instance resource"]],
  ["the instance's destroy-time sweep pointed at another stack", (d) => (exec(o(resources(d).TucoWebhooksInstance), 0).command = String(exec(o(resources(d).TucoWebhooksInstance), 0).command).replace("--stack 'shop'", "--stack 'other'")), ["resource.null_resource.TucoWebhooksInstance", "its one provisioner must be the destroy-time"]],
  ["the instance's sweep given another instance", (d) => (exec(o(resources(d).TucoWebhooksInstance), 0).environment = { TUCO_STACK_INSTANCE: "someone-else" }), ["resource.null_resource.TucoWebhooksInstance", "TUCO_STACK_INSTANCE"]],
  ["the stack instance output pointed at a webhook resource", (d) => (o(o(d.output).tuco_webhooks_instance).value = "${null_resource.crm.id}"), ["output.tuco_webhooks_instance", "must be the id of the stack's instance resource"]],
  ["resources that are not an object", (d) => (d.resource = []), ['"resource" [] is not an object']],
];

describe("tuco-webhooks drift on a cdk.tf.json edited by hand", () => {
  test("accepts the file cdktf wrote", async () => {
    const dir = path.join(root, "pristine");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(pristine));
    const run = await runCli(["drift", dir, "--json"], env);
    expect(run.code, run.stderr).toBe(2); // nothing exists yet: both webhooks are missing
    expect(JSON.parse(run.stdout).webhooks.map((w: { key: string; status: string }) => `${w.key}:${w.status}`)).toEqual(["crm:missing", "team/ledger:missing"]);
  });

  test("ignores another tool's resource in the same stack, even one that runs a node main.js apply of its own", async () => {
    const dir = path.join(root, "neighbour");
    fs.mkdirSync(dir);
    const doc = clone();
    resources(doc).migrations = { provisioner: [{ "local-exec": { command: "node /srv/migrations/main.js apply --env prod" } }], triggers: { version: "42" } };
    fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(doc));
    const run = await runCli(["drift", dir, "--json"], env);
    expect(run.code, run.stderr).toBe(2);
    expect(JSON.parse(run.stdout).webhooks.map((w: { key: string; status: string }) => `${w.key}:${w.status}`)).toEqual(["crm:missing", "team/ledger:missing"]);
  });

  test.concurrent.each(TAMPERS.map((t, i) => [t[0], i] as const))("rejects %s, naming the file, the resource and the field, before any API call", async (_t, i) => {
    const [, edit, says] = TAMPERS[i];
    const dir = path.join(root, `tampered-${i}`);
    fs.mkdirSync(dir);
    const doc = clone();
    edit(doc);
    const file = path.join(dir, "cdk.tf.json");
    fs.writeFileSync(file, JSON.stringify(doc, null, 2));
    for (const args of [["drift", dir], ["drift", file, "--fix"]]) {
      const run = await runCli(args, env);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe("");
      const lines = run.stderr.trim().split("\n");
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toContain(`tuco-webhooks drift: error: ${file}: `);
      for (const part of says) expect(lines[0]).toContain(part);
    }
  });

  test("sent no request for any tampered file", async () => {
    expect((await control.requests()).filter((r) => r.method !== "GET" || r.path !== "/api/webhooks")).toEqual([]);
  });
});

describe("the provisioners of a cdk.tf.json edited by hand, run by real Terraform", () => {
  test("fail the resource with our message (field, value, fix) inside Terraform's (file, resource), and no request is sent", { timeout: 90_000 }, async () => {
    const ws = TerraformWorkspace.create("tuco-tamper-tf-");
    try {
      const dir = ws.synth("shop", (stack) => {
        new TucoWebhook(stack, "crm", {
          name: "CRM",
          url: "https://hooks.example.com/crm",
          events: ["message.sent"],
          recipients: [RECIPIENT],
          resourceType: "terraform_data",
          sealedSecretPath: path.join(ws.root, "crm.age"),
        });
      });
      const file = path.join(dir, "cdk.tf.json");
      const doc = JSON.parse(fs.readFileSync(file, "utf8")) as Json;
      const body = o(o(o(doc.resource).terraform_data).crm);
      // Edited consistently, as a careful hand would: the trigger and the environment agree.
      for (const [holder, key] of [[o(body.triggers_replace), "tuco_webhook"], [o(exec(body, 0).environment), "TUCO_WEBHOOK_SPEC"]] as const) {
        const spec = JSON.parse(holder[key] as string) as Json;
        spec.url = "http://hooks.example.com/crm";
        holder[key] = JSON.stringify(spec);
      }
      fs.writeFileSync(file, JSON.stringify(doc, null, 2));

      const drift = await runCli(["drift", dir], env);
      expect(drift.code).toBe(1);
      expect(drift.stderr).toContain(`${file}: resource.terraform_data.crm: url "http://hooks.example.com/crm" uses plain http://`);

      const before = (await control.requests()).length;
      await ws.init(dir, { env });
      const apply = await ws.run(dir, ["apply", "-input=false", "-no-color", "-auto-approve"], { env, okCodes: [1] });
      const output = `${apply.stdout}\n${apply.stderr}`;
      expect(output).toContain("terraform_data.crm");
      expect(output).toMatch(/on cdk\.tf\.json line \d+/);
      expect(output).toContain('url "http://hooks.example.com/crm" uses plain http:// to a non-loopback host: use https://');
      expect((await control.requests()).slice(before)).toEqual([]);
    } finally {
      ws.dispose();
    }
  });
});
