/**
 * The Pulumi front end of the demo. examples/pulumi/index.ts (compiled to dist/examples) runs
 * unchanged under `pulumi.runtime.setMocks`; every `Webhook` it registers is forwarded to the real
 * dynamic-provider host that ships with @pulumi/pulumi (src/pulumi/host.ts), exactly as the
 * engine would: Check then Create, and later Read/Diff/Update (refresh and drift) and Delete.
 * No Pulumi CLI is needed; the Kubernetes Secret of the example is only recorded.
 */
import * as path from "node:path";
import type * as pulumiTypes from "@pulumi/pulumi";
import { changedFields } from "../pulumi/provider-runtime";
import { outputsOf, ProviderCallError, startPulumiHost, urnOf, type Props, type PulumiHost } from "../pulumi/dynamic-provider-host";
import { WEBHOOK_TYPE } from "../pulumi/webhook";
import { expectThat, StepFailed, type DemoContext } from "./context";

const PROJECT = "tuco-webhooks";
const STACK = "demo";

/** One Webhook resource as the engine would hold it in state. */
export interface PulumiResource {
  readonly name: string;
  readonly urn: string;
  readonly id: string;
  /** The checked inputs (what the program declares). */
  readonly inputs: Props;
  /** The state: outputs plus `__provider`. */
  properties: Props;
}

/** The deployed Pulumi stack: the host, the resources, the program's exports. */
export interface PulumiDeployment {
  readonly host: PulumiHost;
  readonly resources: PulumiResource[];
  readonly program: Record<string, unknown>;
  /** Other resources the program registered (recorded, not created anywhere). */
  readonly others: string[];
}

function settled<T>(output: pulumiTypes.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** Runs the example program with its webhooks created through the real host. */
export async function deployPulumi(ctx: DemoContext, onHost: (host: PulumiHost) => void): Promise<PulumiDeployment> {
  // Loaded here, not at the top: only this step pays for @pulumi/pulumi.
  const pulumi = require("@pulumi/pulumi") as typeof pulumiTypes;
  let hostReady: Promise<PulumiHost> | undefined;
  const resources: PulumiResource[] = [];
  const others: string[] = [];
  // A resource that fails must not throw out of the mocks: Pulumi would turn it into an unhandled
  // rejection that kills the process before the demo can name the step and clean up.
  let failure: unknown;
  const startHost = async (providerText: string): Promise<PulumiHost> => {
    // The host gets no Tuco credentials in its environment: they come through Configure, as from stack config.
    const { TUCO_API_KEY: _k, TUCO_API_URL: _u, ...env } = process.env;
    const host = await startPulumiHost({ providerText, project: PROJECT, env, cwd: ctx.root });
    onHost(host);
    await host.configure({ "tuco:apiKey": ctx.apiKey, "tuco:apiUrl": ctx.apiUrl });
    return host;
  };

  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        if (args.type !== WEBHOOK_TYPE) {
          others.push(`${args.type} ${args.name}`);
          return { id: `${args.name}-id`, state: args.inputs };
        }
        const urn = urnOf(args.type, args.name, STACK, PROJECT);
        try {
          hostReady ??= startHost(String(args.inputs.__provider));
          const host = await hostReady;
          const { inputs, failures } = await host.check(urn, {}, args.inputs);
          if (failures.length > 0) throw new Error(`check ${args.name}: ${failures.map((f) => f.reason).join("; ")}`);
          try {
            const created = await host.create(urn, inputs);
            resources.push({ name: args.name, urn, id: created.id, inputs, properties: created.properties });
            return { id: created.id, state: outputsOf(created.properties) };
          } catch (err) {
            // A partial create leaves the webhook in state, as the engine would: it is destroyed with the rest.
            if (err instanceof ProviderCallError && err.partial) resources.push({ name: args.name, urn, id: err.partial.id, inputs, properties: err.partial.properties });
            throw err;
          }
        } catch (err) {
          failure ??= new StepFailed(`pulumi: creating Webhook ${args.name} failed: ${err instanceof Error ? err.message : String(err)}`);
          return { id: `${args.name}-not-created`, state: args.inputs };
        }
      },
      call: () => ({}),
    },
    PROJECT,
    STACK,
    false,
  );
  pulumi.runtime.setAllConfig({
    [`${PROJECT}:crmUrl`]: `${ctx.receiver.url}/pulumi/crm`,
    [`${PROJECT}:repliesUrl`]: `${ctx.receiver.url}/pulumi/replies`,
    [`${PROJECT}:pauseReplies`]: "false",
  });

  const program = require(path.join(ctx.root, "dist", "examples", "pulumi", "index.js")) as Record<string, pulumiTypes.Output<unknown>>;
  await settled(pulumi.all([program.crmWebhookId, program.repliesWebhookId, (program.crmReceiverSecret as unknown as pulumiTypes.CustomResource).urn]));
  if (failure !== undefined) {
    // Nothing half-deployed is left behind: what was created is deleted again, and the host stops.
    const host = await hostReady?.catch(() => undefined);
    if (host) {
      for (const r of [...resources].reverse()) await host.delete(r.id, r.urn, r.properties).catch(() => {});
      await host.close().catch(() => {});
    }
    throw failure;
  }
  expectThat(hostReady, "the Pulumi program registered no Webhook");
  const host = await hostReady;
  expectThat(resources.length === 2, `expected the example's 2 webhooks, the host created ${resources.length}`);
  return { host, resources, program, others };
}

/** The secret of one webhook, read from the program's `secret` output as a downstream stack would. */
export async function pulumiSecret(deployment: PulumiDeployment, name: string): Promise<string> {
  const resource = deployment.program[name] as { secret: pulumiTypes.Output<string> } | undefined;
  expectThat(resource?.secret, `the Pulumi program exports no webhook ${name} with a secret output`);
  const secret = await settled(resource.secret);
  expectThat(typeof secret === "string" && secret.length >= 32, `the Pulumi secret output of ${name} is empty`);
  return secret;
}

/** `pulumi refresh` for one resource: Read, then Diff of the live values against the program's inputs. */
export async function refreshAndDiff(host: PulumiHost, r: PulumiResource): Promise<{ live: Props; changes: "none" | "some" | "unknown"; fields: string[] }> {
  const read = await host.read(r.id, r.urn, r.properties, r.inputs);
  expectThat(read.id === r.id, `refresh: webhook ${r.id} is gone from Tuco`);
  const diff = await host.diff(r.id, r.urn, read.properties, r.inputs);
  return { live: read.properties, changes: diff.changes, fields: changedFields(outputsOf(read.properties), r.inputs) };
}

/** `pulumi up` after a refresh found drift: Update from the refreshed state to the program's inputs. */
export async function updateToInputs(host: PulumiHost, r: PulumiResource, refreshed: Props): Promise<void> {
  const updated = await host.update(r.id, r.urn, refreshed, r.inputs);
  r.properties = updated.properties;
}

/** `pulumi destroy`: Delete for every webhook, newest first. */
export async function destroyPulumi(deployment: PulumiDeployment): Promise<void> {
  for (const r of [...deployment.resources].reverse()) await deployment.host.delete(r.id, r.urn, r.properties);
  deployment.resources.length = 0;
}
