/**
 * The Webhook dynamic provider, as a module: its exports are the provider's methods, each loading
 * the provider's runtime (provider-runtime.ts) when it runs. Pulumi serializes the provider into
 * every Webhook's state; since this module's exports ARE the provider and the package exports it
 * (as `tuco-webhooks/pulumi/engine` and by its file, `tuco-webhooks/dist/pulumi/provider.js`, the
 * name Pulumi picks when it cannot resolve the package by itself, as under pnpm), Pulumi writes one
 * `require(...)` of it (about 250 bytes per resource, no credentials), and `refresh` and `destroy`
 * run the installed code, never a copy frozen in state. Both names are part of every stack's state:
 * they never change. (Run from a checkout rather than an installed package, Pulumi
 * serializes these small methods by value instead; they find the runtime by its absolute path.)
 *
 * Settings come from `configure` (Pulumi config `tuco:apiKey`, `tuco:apiUrl`, `tuco:timeoutMs`) or
 * the environment (`TUCO_API_KEY`, `TUCO_API_URL`, `TUCO_TIMEOUT_MS`) at run time. If `create` fails
 * after the webhook was made, the error carries `id` and `properties` and the webhook stays in
 * state (a partial create); `diff` never asks for a replacement.
 */
import type * as pulumi from "@pulumi/pulumi";

type Runtime = typeof import("./provider-runtime");
type Props = Record<string, unknown>;

/** The compiled runtime beside this file (from the sources under vitest: the compiled one in dist/). A plain string: safe to serialize. */
const RUNTIME: string = __filename.endsWith(".ts") ? __dirname.replace(/[\\/]src[\\/]pulumi$/, "") + "/dist/pulumi/provider-runtime.js" : __dirname + "/provider-runtime.js";

/** The runtime, loaded when a method first runs (in Pulumi's dynamic-provider host, not in the program). */
function runtime(): Runtime {
  return require(RUNTIME) as Runtime;
}

export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  runtime().configure(req);
}

export async function check(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
  return runtime().check(olds, news);
}

export async function diff(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
  return runtime().diff(id, olds, news);
}

export async function create(inputs: Props): Promise<pulumi.dynamic.CreateResult> {
  return runtime().create(inputs);
}

export async function read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
  return runtime().read(id, props);
}

export async function update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
  return runtime().update(id, olds, news);
}

/** `delete` (a reserved word, so exported by that name below); `remove` is what states serialized by tuco-webhooks 0.1 call. */
export async function remove(id: string, props: Props): Promise<void> {
  return runtime().remove(id, props);
}
export { remove as delete };
