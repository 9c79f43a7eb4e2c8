/**
 * Runs a Pulumi program's Tuco webhooks for real, without a Pulumi CLI: the program runs under
 * `pulumi.runtime.setMocks`, and every `Webhook` it registers is sent to the real dynamic-provider
 * host that ships with @pulumi/pulumi, as the engine would (Check, then Create; later Read and Diff
 * for a refresh, Update, Delete). Other resources are only recorded. For a user's CI against the
 * emulator, the demo, and the tests.
 *
 *   const emulator = await startEmulator({ port: 0 });
 *   const stack = await deployPulumiProgram(() => require("./index"), { apiUrl: emulator.url, apiKey: "tuco_sk_ci" });
 *   stack.webhook("crm").properties; // its state: outputs (the secret too) and __provider
 *   await stack.refresh();          // what `pulumi refresh` would find changed
 *   await stack.up();               // puts drifted webhooks back
 *   await stack.destroy();          // deletes them, stops the host
 *
 * What mocks cannot show: under `setMocks` an output's `isSecret` reads false, also for `secret`
 * (the real engine honours the resource's `additionalSecretOutputs`).
 */
import type * as pulumiTypes from "@pulumi/pulumi";
import { TucoError } from "../api/errors";
import { changedFields } from "../pulumi/provider-runtime";
import { WEBHOOK_TYPE } from "../pulumi/webhook";
import { outputsOf, ProviderCallError, startPulumiHost, urnOf, type Props, type PulumiHost } from "../pulumi/dynamic-provider-host";

/** Options of `deployPulumiProgram`. */
export interface PulumiProgramOptions {
  /** The Tuco API base URL the provider talks to (the emulator's URL in CI); sent as `tuco:apiUrl`. */
  readonly apiUrl: string;
  /** The API key, sent as `tuco:apiKey` through Configure, never in the host's environment. */
  readonly apiKey: string;
  /** @default "test" */
  readonly project?: string;
  /** @default "test" */
  readonly stack?: string;
  /** The program's stack config: `key` (for the project) or `namespace:key`, as `pulumi config set` writes them. */
  readonly config?: Readonly<Record<string, string>>;
  /** Where the host runs (where `tuco-webhooks` resolves from). @default process.cwd() */
  readonly cwd?: string;
  /** The host's environment; TUCO_API_KEY and TUCO_API_URL are always removed from it. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Called once the host is up (e.g. to print its port). */
  readonly onHost?: (host: PulumiHost) => void;
}

/** One Webhook resource as the engine would hold it in state. */
export interface DeployedWebhook {
  /** The resource name given to `new Webhook(name, ...)`. */
  readonly name: string;
  readonly urn: string;
  readonly id: string;
  /** The checked inputs (what the program declares). */
  readonly inputs: Props;
  /** The state: outputs plus `__provider`. */
  properties: Props;
}

/** What a refresh found for one webhook. */
export interface RefreshedWebhook {
  readonly name: string;
  readonly id: string;
  /** The webhook no longer exists in Tuco (`pulumi refresh` would drop it from state). */
  readonly gone: boolean;
  /** The declared fields whose live value differs (url, events, isActive, name, description). */
  readonly changed: string[];
}

/** A program deployed through the real host. */
export interface PulumiTestStack {
  readonly host: PulumiHost;
  /** Every Webhook the program registered, in registration order (partial creates included). */
  readonly webhooks: DeployedWebhook[];
  /** What the program's module exports (or its function returned). */
  readonly exports: Record<string, unknown>;
  /** The other resources the program registered (`<type> <name>`): recorded, not created anywhere. */
  readonly others: string[];
  /** One webhook by resource name; throws naming the names there are. */
  webhook(name: string): DeployedWebhook;
  /** `pulumi refresh`: reads every webhook and stores Tuco's values; says what differs from the program. A webhook gone from Tuco is dropped (run the program again to create it). */
  refresh(): Promise<RefreshedWebhook[]>;
  /** `pulumi up` after a refresh: patches every drifted webhook back to the program's inputs. */
  up(): Promise<void>;
  /** `pulumi destroy`: deletes every webhook, newest first, then stops the host. */
  destroy(): Promise<void>;
}

/** Deploying the program failed; what it created was deleted again. */
export class PulumiProgramError extends TucoError {
  readonly code = "PULUMI_PROGRAM";
}

/**
 * Runs `program` (e.g. `() => require("./index")`) with its Webhooks created for real through
 * the dynamic-provider host. Resolves once every resource the program registered is settled. If a
 * Webhook fails, the ones created are deleted again, the host is stopped, and it rejects naming it.
 */
export async function deployPulumiProgram(program: () => unknown, options: PulumiProgramOptions): Promise<PulumiTestStack> {
  // Loaded here: a consumer's own copy, found from where this package is installed.
  const pulumi = require("@pulumi/pulumi") as typeof pulumiTypes;
  const project = options.project ?? "test";
  const stackName = options.stack ?? "test";
  const webhooks: DeployedWebhook[] = [];
  const others: string[] = [];
  let hostReady: Promise<PulumiHost> | undefined;
  // A failing resource must not throw out of the mocks: Pulumi would turn it into an unhandled rejection.
  let failure: Error | undefined;

  const startHost = async (providerText: string): Promise<PulumiHost> => {
    const { TUCO_API_KEY: _k, TUCO_API_URL: _u, ...env } = options.env ?? process.env;
    const host = await startPulumiHost({ providerText, project, env, cwd: options.cwd ?? process.cwd() });
    options.onHost?.(host);
    await host.configure({ "tuco:apiKey": options.apiKey, "tuco:apiUrl": options.apiUrl });
    return host;
  };

  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        if (args.type !== WEBHOOK_TYPE) {
          others.push(`${args.type} ${args.name}`);
          return { id: `${args.name}-id`, state: args.inputs };
        }
        const urn = urnOf(args.type, args.name, stackName, project);
        try {
          hostReady ??= startHost(String(args.inputs.__provider));
          const host = await hostReady;
          const { inputs, failures } = await host.check(urn, {}, args.inputs);
          if (failures.length > 0) throw new Error(`check failed: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
          try {
            const created = await host.create(urn, inputs);
            webhooks.push({ name: args.name, urn, id: created.id, inputs, properties: created.properties });
            return { id: created.id, state: outputsOf(created.properties) };
          } catch (err) {
            // A partial create stays in state, as with the engine: it is destroyed with the rest.
            if (err instanceof ProviderCallError && err.partial) webhooks.push({ name: args.name, urn, id: err.partial.id, inputs, properties: err.partial.properties });
            throw err;
          }
        } catch (err) {
          failure ??= new PulumiProgramError(`creating Webhook ${JSON.stringify(args.name)} failed: ${err instanceof Error ? err.message : String(err)}`);
          return { id: `${args.name}-not-created`, state: args.inputs };
        }
      },
      call: () => ({}),
    },
    project,
    stackName,
    false,
  );
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(options.config ?? {}).map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v])));

  let exports: Record<string, unknown> = {};
  try {
    exports = ((await program()) ?? {}) as Record<string, unknown>;
  } catch (err) {
    failure ??= new PulumiProgramError(`the program threw: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Every registration and output of the program settled (the engine's own wait at the end of a program).
  await pulumi.runtime.disconnect();
  const host = await hostReady?.catch((err: unknown) => {
    failure ??= new PulumiProgramError(`the dynamic-provider host did not start: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  });

  let closed = false;
  const destroy = async (): Promise<void> => {
    if (!host || closed) return;
    for (const w of [...webhooks].reverse()) {
      await host.delete(w.id, w.urn, w.properties);
      webhooks.splice(webhooks.indexOf(w), 1);
    }
    await host.close();
    closed = true;
  };
  if (failure) {
    // Nothing half-deployed is left behind.
    await destroy().catch(() => {});
    throw failure;
  }

  if (!host) throw new PulumiProgramError(`the program registered no Webhook (other resources: ${others.join(", ") || "none"})`);
  const stack: PulumiTestStack = {
    host,
    webhooks,
    exports,
    others,
    webhook(name) {
      const found = webhooks.find((w) => w.name === name);
      if (!found) throw new PulumiProgramError(`the program registered no Webhook ${JSON.stringify(name)}: it registered ${webhooks.map((w) => JSON.stringify(w.name)).join(", ") || "none"}`);
      return found;
    },
    async refresh() {
      const found: RefreshedWebhook[] = [];
      for (const w of webhooks) {
        const read = await host.read(w.id, w.urn, w.properties, w.inputs);
        if (read.id === "") {
          found.push({ name: w.name, id: w.id, gone: true, changed: [] });
          continue; // dropped below, as refresh drops it from state
        }
        w.properties = read.properties;
        found.push({ name: w.name, id: w.id, gone: false, changed: changedFields(outputsOf(read.properties), w.inputs) });
      }
      for (const gone of found.filter((f) => f.gone)) webhooks.splice(webhooks.findIndex((w) => w.id === gone.id), 1);
      return found;
    },
    async up() {
      for (const w of webhooks) {
        const diff = await host.diff(w.id, w.urn, w.properties, w.inputs);
        if (diff.changes !== "none") w.properties = (await host.update(w.id, w.urn, w.properties, w.inputs)).properties;
      }
    },
    destroy,
  };
  return stack;
}
