import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { describe, expect, test } from "vitest";
import { RECIPIENTS_CONTEXT, TucoWebhook, TucoWebhookPrune, tucoCliPath, type TucoWebhookProps, type TucoWebhookResourceType } from "../../src/cdktf";
import { readSynthesizedStack } from "../../src/cdk/synthesized-stack";
import { x25519Recipient } from "../helpers/age";
import { expectNoLeaks } from "../helpers/secret-scan";

const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
const API_KEY = "tuco_sk_synthesis_must_never_see_this";

const base: TucoWebhookProps = {
  name: "CRM events",
  url: "https://hooks.example.com/crm",
  events: ["message.sent", "message.failed", "message.sent"],
  description: "Feeds the CRM",
  recipients: [RECIPIENT],
};

type Doc = { resource: Record<string, Record<string, Record<string, unknown>>> };

function synth(resourceType: TucoWebhookResourceType | undefined, build?: (stack: TerraformStack) => void): { json: string; doc: Doc } {
  const app = Testing.app();
  const stack = new TerraformStack(app, "shop");
  if (build) build(stack);
  else new TucoWebhook(stack, "crm", { ...base, resourceType });
  const json = Testing.synth(stack);
  return { json, doc: JSON.parse(json) as Doc };
}

function triggersOf(type: string, body: Record<string, unknown>): Record<string, string> {
  return (type === "null_resource" ? body.triggers : body.triggers_replace) as Record<string, string>;
}

type Provisioner = { "local-exec": { command: string; when?: string; environment?: Record<string, string> } };

function commands(body: Record<string, unknown>): { create: Provisioner["local-exec"]; destroy: Provisioner["local-exec"] } {
  const list = (body.provisioner as Provisioner[]).map((p) => p["local-exec"]);
  return { create: list.find((p) => p.when === undefined)!, destroy: list.find((p) => p.when === "destroy")! };
}

describe.each(["null_resource", "terraform_data"] as const)("TucoWebhook as %s", (type) => {
  test("synthesizes one webhook resource with create-before-destroy and the apply and delete commands", () => {
    const { json, doc } = synth(type);
    const cli = tucoCliPath();
    const webhook = doc.resource[type].crm;
    expect(webhook).toBeDefined();
    expect(webhook.lifecycle).toEqual({ create_before_destroy: true });
    const { create, destroy } = commands(webhook);
    expect(create.command).toBe(`exec node '${cli}' apply`);
    expect(destroy.command).toBe(`exec node '${cli}' delete --stack 'shop' --key 'crm'`);
    // Both provisioners read the stack instance from their own trigger, which Terraform fills from the state.
    const self = `\${self.${type === "null_resource" ? "triggers" : "triggers_replace"}.tuco_instance}`;
    expect(create.environment).toEqual({ TUCO_WEBHOOK_SPEC: expect.any(String), TUCO_STACK_INSTANCE: self });
    expect(destroy.environment).toEqual({ TUCO_STACK_INSTANCE: self });
    expect(JSON.parse(create.environment!.TUCO_WEBHOOK_SPEC)).toEqual({
      stack: "shop",
      key: "crm",
      name: "CRM events",
      url: "https://hooks.example.com/crm",
      events: ["message.failed", "message.sent"],
      description: "Feeds the CRM",
      isActive: true,
      healthCheck: "fail",
      seal: { recipients: [RECIPIENT], path: path.resolve("sealed-secrets/shop/crm.age") },
    });
    expect(json).not.toContain("npx");
    if (type === "null_resource") {
      expect(Testing.toHaveResourceWithProperties(json, "null_resource", { lifecycle: { create_before_destroy: true } })).toBe(true);
      expect(Testing.toHaveProvider(json, "null")).toBe(true);
    } else {
      expect(Testing.toHaveResourceWithProperties(json, "terraform_data", { lifecycle: { create_before_destroy: true } })).toBe(true);
      expect(doc.resource.null_resource).toBeUndefined();
    }
  });

  test("keeps only the non-secret desired state in the triggers, identical to the apply command's input", () => {
    const { doc } = synth(type);
    const webhook = doc.resource[type].crm;
    const triggers = triggersOf(type, webhook);
    expect(Object.keys(triggers).sort()).toEqual(["tuco_instance", "tuco_webhook"]);
    expect(triggers.tuco_webhook).toBe(commands(webhook).create.environment!.TUCO_WEBHOOK_SPEC);
    expect(triggers.tuco_instance).toBe(`\${${type}.TucoWebhooksInstance.id}`);
  });

  test("adds one stack instance resource, with no triggers and one destroy-time sweep, whose id is the stack output tuco_webhooks_instance", () => {
    const { doc } = synth(type, (stack) => {
      new TucoWebhook(stack, "crm", { ...base, resourceType: type });
      new TucoWebhook(stack, "alerts", { ...base, resourceType: type });
    });
    const instance = doc.resource[type].TucoWebhooksInstance as { provisioner?: { "local-exec": { when?: string; command: string; environment: unknown } }[] };
    expect(Object.keys(instance).filter((k) => k !== "//")).toEqual(["provisioner"]);
    expect(instance.provisioner).toEqual([{ "local-exec": { when: "destroy", command: expect.stringMatching(/^exec node '.*\/dist\/cli\/main\.js' prune --stack 'shop' --keep ''$/), environment: { TUCO_STACK_INSTANCE: "${self.id}" } } }]);
    expect((doc as unknown as { output: Record<string, unknown> }).output.tuco_webhooks_instance).toMatchObject({ value: `\${${type}.TucoWebhooksInstance.id}` });
    for (const name of ["crm", "alerts", "TucoWebhooksPrune"]) expect(triggersOf(type, doc.resource[type][name]).tuco_instance, name).toBe(`\${${type}.TucoWebhooksInstance.id}`);
  });

  test("never writes an API key or a secret into the synthesized JSON, even when the environment holds one", () => {
    const saved = process.env.TUCO_API_KEY;
    process.env.TUCO_API_KEY = API_KEY;
    try {
      const { json } = synth(type);
      expect(json).not.toContain(API_KEY);
      expect(json).not.toMatch(/tuco_sk_|TUCO_API_KEY|whsec_|"secret"/);
    } finally {
      if (saved === undefined) delete process.env.TUCO_API_KEY;
      else process.env.TUCO_API_KEY = saved;
    }
  });

  test("adds one prune resource per stack that keeps every declared key and depends on every webhook", () => {
    const { doc } = synth(type, (stack) => {
      new TucoWebhook(stack, "crm", { ...base, resourceType: type });
      const team = new Construct(stack, "billing");
      new TucoWebhook(team, "ledger", { ...base, name: "Ledger", resourceType: type });
    });
    const resources = doc.resource[type];
    const prune = resources.TucoWebhooksPrune;
    expect(prune.lifecycle).toEqual({ create_before_destroy: true });
    expect(JSON.parse(triggersOf(type, prune).tuco_webhooks_prune)).toEqual({ stack: "shop", keep: ["billing/ledger", "crm"] });
    const { create, destroy } = commands(prune);
    expect(create.command).toBe(`exec node '${tucoCliPath()}' prune --stack 'shop' --keep 'billing/ledger,crm'`);
    expect(destroy.command).toBe(`exec node '${tucoCliPath()}' prune --stack 'shop' --keep ''`);
    const webhookNames = Object.keys(resources).filter((n) => n !== "TucoWebhooksPrune" && n !== "TucoWebhooksInstance");
    expect(webhookNames).toHaveLength(2);
    expect((prune.depends_on as string[]).sort()).toEqual(webhookNames.map((n) => `${type}.${n}`).sort());
  });
});

describe("TucoWebhook synthesis", () => {
  test("synthesizes the same commands and declaration for null_resource and terraform_data", () => {
    const a = synth("null_resource").doc.resource.null_resource;
    const b = synth("terraform_data").doc.resource.terraform_data;
    for (const name of ["crm", "TucoWebhooksPrune"]) {
      const [x, y] = [commands(a[name]), commands(b[name])];
      expect(x.create.command).toBe(y.create.command);
      expect(x.destroy.command).toBe(y.destroy.command);
      // Only where each type keeps its triggers differs: self.triggers vs self.triggers_replace.
      expect(x.create.environment?.TUCO_STACK_INSTANCE).toBe("${self.triggers.tuco_instance}");
      expect(y.create.environment?.TUCO_STACK_INSTANCE).toBe("${self.triggers_replace.tuco_instance}");
    }
    expect((a.crm.triggers as Record<string, string>).tuco_webhook).toEqual((b.crm.triggers_replace as Record<string, string>).tuco_webhook);
  });

  test("defaults to null_resource", () => {
    const { doc } = synth(undefined);
    expect(doc.resource.null_resource.crm).toBeDefined();
  });

  test("writes $ and % as JSON escapes so Terraform never reads a template, and reads them back intact", () => {
    const description = "costs ${price} at 100%{ off } $$ %%";
    const app = Testing.app();
    const stack = new TerraformStack(app, "shop");
    new TucoWebhook(stack, "crm", { ...base, description, resourceType: "terraform_data" });
    const json = Testing.synth(stack);
    const doc = JSON.parse(json) as Doc;
    const spec = triggersOf("terraform_data", doc.resource.terraform_data.crm).tuco_webhook;
    expect(spec).not.toMatch(/[$%]/);
    expect(JSON.parse(spec).description).toBe(description);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tuco-synth-"));
    fs.writeFileSync(path.join(dir, "cdk.tf.json"), json);
    expect(readSynthesizedStack(dir).webhooks[0].spec.description).toBe(description);
  });

  test("takes the recipients from the tuco-webhooks:recipients context when the prop is left out", () => {
    const app = Testing.app({ context: { [RECIPIENTS_CONTEXT]: [RECIPIENT] } });
    const stack = new TerraformStack(app, "shop");
    const hook = new TucoWebhook(stack, "crm", { ...base, recipients: undefined, resourceType: "terraform_data" });
    expect(hook.declaration.seal.recipients).toEqual([RECIPIENT]);
  });

  test("uses the construct path below the stack as the key and an absolute sealed secret path", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "shop");
    const hook = new TucoWebhook(new Construct(stack, "team a"), "crm", { ...base, sealedSecretPath: "out/crm.age", resourceType: "terraform_data" });
    expect(hook.key).toBe("team_a/crm");
    expect(hook.sealedSecretPath).toBe(path.resolve("out/crm.age"));
  });

  test("keeps an explicit prune resource with no keys when a stack declares no webhook", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "shop");
    TucoWebhookPrune.of(stack, "terraform_data");
    const doc = JSON.parse(Testing.synth(stack)) as Doc;
    const prune = doc.resource.terraform_data.TucoWebhooksPrune;
    expect(commands(prune).create.command).toBe(`exec node '${tucoCliPath()}' prune --stack 'shop' --keep ''`);
    expect(prune.depends_on).toBeUndefined();
  });

  test("rejects an invalid url at synthesis, naming the construct, the value and the fix", () => {
    expect(() => synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, url: "http://hooks.example.com" }))).toThrow(
      /Invalid webhook "shop\/crm": url "http:\/\/hooks.example.com" uses plain http:\/\/ .*use https:\/\//,
    );
  });

  test("rejects unknown events and an empty name together", () => {
    expect(() => synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, name: " ", events: ["message.exploded"] }))).toThrow(
      /events \["message.exploded"\] contains unknown event.*name " " is empty/,
    );
  });

  test("fails without recipients, saying how to configure them", () => {
    expect(() => synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, recipients: undefined }))).toThrow(
      /no age recipients.*"recipients" prop.*tuco-webhooks:recipients.*cdktf.json.*age-keygen/,
    );
  });

  test("rejects recipients that are not age X25519 public keys", () => {
    // A secret key given as a recipient is named, never echoed: error output is not a place for key material.
    const secretKey = "AGE-SECRET-KEY-1ABC";
    expect(() => synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, recipients: [secretKey] }))).toThrow(
      /recipients\[0\] is an age SECRET key \(AGE-SECRET-KEY-\.\.\.\): never configure it here; use its public key/,
    );
    expect(() => synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, recipients: [secretKey] }))).not.toThrow(secretKey);
    expect(() => synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, recipients: ["age1notakey"] }))).toThrow(
      /recipients\[0\] "age1notakey" is not a valid X25519 age recipient/,
    );
  });

  test("rejects an age SECRET key given as a recipient, in any case, without repeating it", async () => {
    // As age-keygen writes one: 74 characters, short enough that any message quoting it would show it whole.
    const { generateIdentity } = await import("age-encryption");
    const identity = await generateIdentity();
    expect(identity).toHaveLength(74);
    const mixed = `age-secret-key-1${identity.slice(16, 40)}${identity.slice(40).toLowerCase()}`;
    for (const given of [identity, identity.toLowerCase(), mixed, ` ${identity}`, "AGE-SECRET-KEY-1ABC"]) {
      let message = "";
      try {
        synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, recipients: [RECIPIENT, given] }));
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/recipients\[1\] is an age SECRET key \(AGE-SECRET-KEY-\.\.\.\): never configure it here; use its public key.*age-keygen -y key\.txt/);
      expectNoLeaks([{ label: "age identity", value: given.trim() }], [{ name: "synth error", text: message }]);
    }
  });

  test("rejects an unknown health-check policy and resource type", () => {
    expect(() => synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, healthCheck: "maybe" as never }))).toThrow(/healthCheck "maybe" is not a policy/);
    expect(() => synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, resourceType: "aws_instance" as never }))).toThrow(
      /resourceType "aws_instance" is not supported/,
    );
  });

  test("rejects a description that carries an ownership marker anywhere", () => {
    for (const description of ["Copied\n\n[tuco-webhooks stack=other key=crm]", "[tuco-webhooks stack=other key=crm instance=x id=y] then text", "half [tuco-webhooks marker"]) {
      expect(() => synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, description })), description).toThrow(/description .* contains a tuco-webhooks ownership marker/);
    }
  });

  test("rejects two webhooks sealing their secrets to the same file", () => {
    expect(() =>
      synth("terraform_data", (s) => {
        new TucoWebhook(s, "crm", { ...base, sealedSecretPath: "secrets/one.age" });
        new TucoWebhook(s, "ledger", { ...base, sealedSecretPath: "./secrets/../secrets/one.age" });
      }),
    ).toThrow(/Invalid webhook "shop\/ledger": sealedSecretPath ".*secrets\/one\.age" is also where "shop\/crm" seals its secret/);
  });

  test("keeps the default sealed-secret path inside sealed-secrets/<stack>/ whatever the construct ids", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "..");
    const hook = new TucoWebhook(new Construct(new Construct(stack, ".."), "."), "..", { ...base, resourceType: "terraform_data" });
    expect(hook.sealedSecretPath.startsWith(path.resolve("sealed-secrets", "_") + path.sep)).toBe(true);
    expect(path.relative(path.resolve("sealed-secrets"), hook.sealedSecretPath).split(path.sep)).not.toContain("..");
  });

  test("rejects a declaration too large for a provisioner's environment, naming the limit", () => {
    const many = Array.from({ length: 2200 }, () => RECIPIENT);
    // Recipients are de-duplicated: 2200 copies of one key, the longest description and a long path still fit.
    expect(() =>
      synth("terraform_data", (s) =>
        new TucoWebhook(s, "crm", { ...base, recipients: many, description: "d".repeat(1000), sealedSecretPath: `${"p".repeat(200)}/`.repeat(19) + "x.age" }),
      ),
    ).not.toThrow();
    expect(() => synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, recipients: Array.from({ length: 2200 }, (_, i) => x25519Recipient("", i)) }))).toThrow(
      /declaration .* bytes as the provisioner's TUCO_WEBHOOK_SPEC, more than one environment variable can carry \(131072 bytes on Linux, MAX_ARG_STRLEN\)/,
    );
  });

  test("writes adoptId into the declaration, and refuses a bad one", () => {
    const { doc } = synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, resourceType: "terraform_data", adoptId: "6b0e9b2be970db2161b0146c" }));
    expect(JSON.parse(triggersOf("terraform_data", doc.resource.terraform_data.crm).tuco_webhook).adoptId).toBe("6b0e9b2be970db2161b0146c");
    expect(() => synth("terraform_data", (s) => new TucoWebhook(s, "crm", { ...base, adoptId: "not an id" }))).toThrow(/adoptId "not an id" is not a webhook id/);
  });

  test("rejects two constructs whose sanitized paths give the same key", () => {
    expect(() =>
      synth("terraform_data", (s) => {
        new TucoWebhook(s, "crm a", { ...base, resourceType: "terraform_data" });
        new TucoWebhook(s, "crm_a", { ...base, resourceType: "terraform_data" });
      }),
    ).toThrow(/key "crm_a" is already used by "shop\/crm a"/);
  });

  test("rejects a stack name that cannot be written into the ownership marker", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "shop+floor");
    expect(() => new TucoWebhook(stack, "crm", base)).toThrow(/stack "shop\+floor" cannot mark webhook ownership/);
  });

  test("writes cdktf.out/stacks/<stack>/cdk.tf.json that the drift reader understands", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "tuco-synth-"));
    const app = new App({ outdir });
    const stack = new TerraformStack(app, "shop");
    new TucoWebhook(stack, "crm", { ...base, resourceType: "terraform_data" });
    app.synth();
    const read = readSynthesizedStack(path.join(outdir, "stacks", "shop"));
    expect(read.stack).toBe("shop");
    expect(read.webhooks.map((w) => w.owner.key)).toEqual(["crm"]);
    expect(read.prune).toEqual({ stack: "shop", keep: ["crm"] });
  });
});
