/**
 * The Pulumi front end of the demo: examples/pulumi/index.ts (compiled to dist/examples) deployed
 * through `deployPulumiProgram` (src/testing/pulumi-program.ts), the same helper users run in their
 * own CI: the program runs unchanged under `setMocks`, and its Webhooks go to the real
 * dynamic-provider host that ships with @pulumi/pulumi. The Kubernetes Secret is only recorded.
 */
import * as path from "node:path";
import type * as pulumiTypes from "@pulumi/pulumi";
import type { PulumiHost } from "../pulumi/dynamic-provider-host";
import { deployPulumiProgram, type PulumiTestStack } from "../testing/pulumi-program";
import { expectThat, StepFailed, type DemoContext } from "./context";

const PROJECT = "tuco-webhooks";
const STACK = "demo";

function settled<T>(output: pulumiTypes.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** Runs the example program with its webhooks created through the real host. */
export async function deployPulumi(ctx: DemoContext, onHost: (host: PulumiHost) => void): Promise<PulumiTestStack> {
  const program = path.join(ctx.root, "dist", "examples", "pulumi", "index.js");
  const stack = await deployPulumiProgram(() => require(program), {
    apiUrl: ctx.apiUrl,
    apiKey: ctx.apiKey,
    project: PROJECT,
    stack: STACK,
    config: { crmUrl: `${ctx.receiver.url}/pulumi/crm`, repliesUrl: `${ctx.receiver.url}/pulumi/replies`, pauseReplies: "false" },
    cwd: ctx.root,
    onHost,
  }).catch((err: unknown) => {
    throw new StepFailed(`pulumi: ${err instanceof Error ? err.message : String(err)}`);
  });
  expectThat(stack.webhooks.length === 2, `expected the example's 2 webhooks, the host created ${stack.webhooks.length}`);
  return stack;
}

/** The secret of one webhook, read from the program's `secret` output as a downstream stack would. */
export async function pulumiSecret(stack: PulumiTestStack, name: string): Promise<string> {
  const resource = stack.exports[name] as { secret: pulumiTypes.Output<string> } | undefined;
  expectThat(resource?.secret, `the Pulumi program exports no webhook ${name} with a secret output`);
  const secret = await settled(resource.secret);
  expectThat(typeof secret === "string" && secret.length >= 32, `the Pulumi secret output of ${name} is empty`);
  return secret;
}
