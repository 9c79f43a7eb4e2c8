/**
 * The constructs under both core libraries, synthesized for real by each: `tuco-webhooks/cdktf`
 * with cdktf 0.21 and `tuco-webhooks/cdktn` with cdktn 0.24 (CDK Terrain) write the same
 * Terraform JSON for the same program, fail the same way on the same bad props, and each refuses
 * a stack of the other library. Under cdktn, which has no hashicorp/null bindings, webhooks are
 * terraform_data and a null_resource request fails synthesis naming the field, value and fix.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as cdktf from "cdktf";
import * as cdktn from "cdktn";
import { Construct } from "constructs";
import { describe, expect, test } from "vitest";
import { readSynthesizedStack } from "../../src/cdk/synthesized-stack";
import * as forCdktf from "../../src/cdktf";
import * as forCdktn from "../../src/cdktn";

const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

const base: forCdktn.TucoWebhookProps = {
  name: "CRM events",
  url: "https://hooks.example.com/crm",
  events: ["message.sent", "message.failed"],
  description: "Feeds the CRM at ${price} and 100%{ off }",
  recipients: [RECIPIENT],
};

/** One core library and the entry point bound to it, as the tests drive them. */
interface Library {
  readonly name: "cdktf" | "cdktn";
  readonly version: string;
  /** A Testing app with `context`. */
  app(context?: Record<string, unknown>): Construct;
  /** An app that synthesizes into `outdir`. */
  outdirApp(outdir: string): Construct & { synth(): void };
  stack(app: Construct, id: string): Construct;
  /** Testing.synth: the stack's Terraform JSON. */
  synth(stack: Construct): string;
  /** An unresolved token of the library (a value known at apply time). */
  token(): string;
  readonly entry: typeof forCdktf | typeof forCdktn;
}

const CDKTF: Library = {
  name: "cdktf",
  version: "0.21.0",
  app: (context) => cdktf.Testing.app({ context }),
  outdirApp: (outdir) => new cdktf.App({ outdir }),
  stack: (app, id) => new cdktf.TerraformStack(app, id),
  synth: (stack) => cdktf.Testing.synth(stack as cdktf.TerraformStack),
  token: () => cdktf.Fn.lower("HOOKS.EXAMPLE.COM"),
  entry: forCdktf,
};

const CDKTN: Library = {
  name: "cdktn",
  version: "0.24.0",
  app: (context) => cdktn.Testing.app({ context }),
  outdirApp: (outdir) => new cdktn.App({ outdir }),
  stack: (app, id) => new cdktn.TerraformStack(app, id),
  synth: (stack) => cdktn.Testing.synth(stack as cdktn.TerraformStack),
  token: () => cdktn.Fn.lower("HOOKS.EXAMPLE.COM"),
  entry: forCdktn,
};

type Doc = { resource: Record<string, Record<string, Record<string, unknown>>>; provider?: Record<string, unknown>; output: Record<string, { value: string }> };

/** A stack "shop" with two webhooks (one nested) and their prune and instance, as terraform_data. */
function program(lib: Library, context?: Record<string, unknown>): string {
  const stack = lib.stack(lib.app(context), "shop");
  new lib.entry.TucoWebhook(stack, "crm", { ...base, resourceType: "terraform_data" });
  new lib.entry.TucoWebhook(new Construct(stack, "billing"), "ledger", { ...base, name: "Ledger", healthCheck: "warn", resourceType: "terraform_data" });
  return lib.synth(stack);
}

/** The message of what `build` throws ("" when it throws nothing). */
function failure(build: () => void): string {
  try {
    build();
  } catch (err) {
    return (err as Error).message;
  }
  return "";
}

describe("the same program under cdktf and cdktn", () => {
  test("synthesizes the same Terraform JSON: webhooks, prune, instance and output", () => {
    const [fromCdktf, fromCdktn] = [program(CDKTF), program(CDKTN)];
    const doc = JSON.parse(fromCdktn) as Doc;
    // What the comparison covers: two webhooks, the prune resource depending on both, the instance and its output.
    const names = Object.keys(doc.resource.terraform_data).sort();
    expect(names).toEqual(["TucoWebhooksInstance", "TucoWebhooksPrune", expect.stringMatching(/^billing_ledger_[0-9A-F]{8}$/), "crm"]);
    expect([...(doc.resource.terraform_data.TucoWebhooksPrune.depends_on as string[])].sort()).toEqual([`terraform_data.${names[2]}`, "terraform_data.crm"]);
    expect(doc.output.tuco_webhooks_instance.value).toBe("${terraform_data.TucoWebhooksInstance.id}");
    // Equal as JSON (cdktn writes an empty object as "{}", cdktf over two lines).
    expect(doc).toEqual(JSON.parse(fromCdktf));
  });

  test("defaults to null_resource under cdktf and to terraform_data under cdktn", () => {
    const types = [CDKTF, CDKTN].map((lib) => {
      const stack = lib.stack(lib.app(), "shop");
      new lib.entry.TucoWebhook(stack, "crm", base);
      const doc = JSON.parse(lib.synth(stack)) as Doc;
      return { resources: Object.keys(doc.resource), providers: Object.keys(doc.provider ?? {}) };
    });
    expect(types).toEqual([
      { resources: ["null_resource"], providers: ["null"] },
      { resources: ["terraform_data"], providers: [] },
    ]);
  });
});

describe.each([CDKTF, CDKTN])("under $name", (lib) => {
  test("writes <outdir>/stacks/<stack>/cdk.tf.json with the library's metadata, and the drift reader understands it", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `tuco-${lib.name}-synth-`));
    const app = lib.outdirApp(outdir);
    const stack = lib.stack(app, "shop");
    new lib.entry.TucoWebhook(stack, "crm", { ...base, resourceType: "terraform_data" });
    app.synth();
    const file = path.join(outdir, "stacks", "shop", "cdk.tf.json");
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { "//": { metadata: Record<string, unknown> } };
    expect(doc["//"].metadata).toEqual({ backend: "local", stackName: "shop", version: lib.version });
    const read = lib.entry.readSynthesizedStack(path.dirname(file));
    expect(read).toMatchObject({ file, stack: "shop", instanceAddress: "terraform_data.TucoWebhooksInstance", prune: { stack: "shop", keep: ["crm"] } });
    expect(read.webhooks.map((w) => [w.owner.key, w.spec.description])).toEqual([["crm", base.description]]);
    // The same reader, whichever entry point exports it.
    expect(lib.entry.readSynthesizedStack).toBe(readSynthesizedStack);
  });

  test("the drift reader rejects a hand edit of that file, naming the file, the resource, the field and both synth commands", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `tuco-${lib.name}-edit-`));
    const app = lib.outdirApp(outdir);
    new lib.entry.TucoWebhook(lib.stack(app, "shop"), "crm", { ...base, resourceType: "terraform_data" });
    app.synth();
    const file = path.join(outdir, "stacks", "shop", "cdk.tf.json");
    const doc = JSON.parse(fs.readFileSync(file, "utf8"));
    const env = doc.resource.terraform_data.crm.provisioner[0]["local-exec"].environment;
    env.TUCO_WEBHOOK_SPEC = env.TUCO_WEBHOOK_SPEC.replace("https://hooks.example.com/crm", "https://elsewhere.example.com/");
    fs.writeFileSync(file, JSON.stringify(doc));
    expect(failure(() => lib.entry.readSynthesizedStack(path.dirname(file)))).toBe(
      `${file}: resource.terraform_data.crm: the provisioner environment TUCO_WEBHOOK_SPEC (what apply runs with) has url "https://elsewhere.example.com/", ` +
        `but trigger tuco_webhook (what drift and Terraform's plan read) has "https://hooks.example.com/crm". ` +
        "Synthesize the stack again (cdktf synth, or cdktn synth under CDK Terrain) instead of editing cdk.tf.json by hand.",
    );
  });

  test("rejects an invalid url and unknown events, naming the construct, the values and the fix", () => {
    const message = failure(() => new lib.entry.TucoWebhook(lib.stack(lib.app(), "shop"), "crm", { ...base, url: "http://hooks.example.com", events: ["message.exploded"] }));
    expect(message).toMatch(/^Invalid webhook "shop\/crm": .*url "http:\/\/hooks.example.com" uses plain http:\/\/ .*use https:\/\//);
    expect(message).toMatch(/events \["message.exploded"\] contains unknown event/);
  });

  test("rejects a Terraform token of its library in a prop, saying to pass a literal", () => {
    const message = failure(() => new lib.entry.TucoWebhook(lib.stack(lib.app(), "shop"), "crm", { ...base, url: lib.token(), resourceType: "terraform_data" }));
    expect(message).toMatch(/^Invalid webhook "shop\/crm": url is a Terraform token \(a value known only at apply time\): pass a literal known at synthesis/);
  });

  test("takes the recipients and the resource type from the context", () => {
    const stack = lib.stack(lib.app({ "tuco-webhooks:recipients": RECIPIENT, "tuco-webhooks:resourceType": "terraform_data" }), "shop");
    const hook = new lib.entry.TucoWebhook(stack, "crm", { ...base, recipients: undefined });
    expect(hook.declaration.seal.recipients).toEqual([RECIPIENT]);
    expect(hook.resource.terraformResourceType).toBe("terraform_data");
    expect(Object.keys((JSON.parse(lib.synth(stack)) as Doc).resource)).toEqual(["terraform_data"]);
  });

  test("refuses a stack of the other library, naming both entry points", () => {
    const other = lib === CDKTF ? CDKTN : CDKTF;
    const stack = other.stack(other.app(), "shop");
    const expected = new RegExp(
      `^Invalid webhook "shop(/crm)?": stack "shop" is not a ${lib.name} TerraformStack, and these constructs are bound to .*${lib.name}.*: ` +
        `a cdktf app imports the constructs from "tuco-webhooks/cdktf", a CDK Terrain \\(cdktn\\) app from "tuco-webhooks/cdktn"$`,
    );
    expect(failure(() => new lib.entry.TucoWebhook(stack, "crm", { ...base, resourceType: "terraform_data" }))).toMatch(expected);
    expect(failure(() => lib.entry.TucoWebhookPrune.of(stack as never, "terraform_data"))).toMatch(expected);
    // The other library's own constructs take such a stack.
    const own = other.stack(other.app(), "shop");
    new other.entry.TucoWebhook(own, "crm", { ...base, resourceType: "terraform_data" });
    expect(Object.keys(JSON.parse(other.synth(own)).resource.terraform_data).sort()).toEqual(["TucoWebhooksInstance", "TucoWebhooksPrune", "crm"]);
  });
});

describe("null_resource under cdktn", () => {
  test("is refused at synthesis when the prop asks for it, naming the field, the value and the fix", () => {
    const message = failure(() => new forCdktn.TucoWebhook(CDKTN.stack(CDKTN.app(), "shop"), "crm", { ...base, resourceType: "null_resource" }));
    expect(message).toBe(
      'Invalid webhook "shop/crm": resourceType "null_resource" is not available under CDK Terrain (cdktn): it has no hashicorp/null provider bindings ' +
        '(there is no @cdktn/provider-null); use "terraform_data" or leave resourceType out (terraform_data is built into Terraform 1.4+ and runs the same commands)',
    );
  });

  test("is refused when the tuco-webhooks:resourceType context asks for it, for a webhook and for TucoWebhookPrune.of", () => {
    const app = CDKTN.app({ "tuco-webhooks:resourceType": "null_resource" });
    const advice = /resourceType \(the "tuco-webhooks:resourceType" context value\) "null_resource" is not available under CDK Terrain \(cdktn\).*set the context value to "terraform_data" or remove it/;
    expect(failure(() => new forCdktn.TucoWebhook(CDKTN.stack(app, "shop"), "crm", base))).toMatch(advice);
    expect(failure(() => forCdktn.TucoWebhookPrune.of(new cdktn.TerraformStack(app, "other")))).toMatch(advice);
  });

  test("another unknown type is refused with the one type cdktn supports", () => {
    expect(failure(() => new forCdktn.TucoWebhook(CDKTN.stack(CDKTN.app(), "shop"), "crm", { ...base, resourceType: "aws_instance" as never }))).toMatch(
      /resourceType "aws_instance" is not supported: use "terraform_data" \(or leave it out\)$/,
    );
  });
});
