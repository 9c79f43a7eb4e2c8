import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { Webhook, WEBHOOK_TYPE } from "../../src/pulumi";

const registered: pulumi.runtime.MockResourceArgs[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push(args);
        return { id: `${args.name}-id`, state: { ...args.inputs, secret: "s3cr3t" } };
      },
      call: () => ({}),
    },
    "tuco-webhooks",
    "test",
    false,
  );
});

function settled<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

describe("the Webhook resource", () => {
  it("registers under the stable type token pulumi-nodejs:dynamic/tuco:Webhook", async () => {
    const hook = new Webhook("typed", { url: "https://hooks.example.com/a", events: ["message.sent"] });
    expect(WEBHOOK_TYPE).toBe("pulumi-nodejs:dynamic/tuco:Webhook");
    expect(await settled(hook.urn)).toBe("urn:pulumi:test::tuco-webhooks::pulumi-nodejs:dynamic/tuco:Webhook::typed");
  });

  it("sends the documented defaults: name from the resource name, active, policy fail, no description, no adoption", async () => {
    const hook = new Webhook("defaults", { url: "https://hooks.example.com/b", events: ["message.reply"] });
    await settled(hook.id);
    const inputs = registered.find((r) => r.name === "defaults")!.inputs;
    expect(inputs).toMatchObject({ url: "https://hooks.example.com/b", events: ["message.reply"], name: "defaults", description: null, isActive: true, healthCheck: "fail", adoptId: null });
    expect(typeof inputs.__provider).toBe("string");
  });

  it("accepts Outputs for every arg", async () => {
    const hook = new Webhook("outputs", {
      url: pulumi.output("https://hooks.example.com/c"),
      events: pulumi.output(["message.sent" as const]),
      name: pulumi.output("named"),
      description: pulumi.output("d"),
      isActive: pulumi.output(false),
      healthCheck: pulumi.output("skip" as const),
      adoptId: pulumi.output("abc"),
    });
    expect(await settled(hook.name)).toBe("named");
    expect(registered.find((r) => r.name === "outputs")!.inputs).toMatchObject({ isActive: false, healthCheck: "skip", adoptId: "abc", description: "d" });
  });
});
