import type * as pulumi from "@pulumi/pulumi";

/**
 * The serialized provider: a tiny shim that Pulumi writes into every Webhook's state. Each method
 * loads the provider's runtime (provider-runtime.ts, exported as `tuco-webhooks/pulumi/engine`)
 * when it runs, so the state carries no code of ours beyond this, and no credentials.
 */

/**
 * Absolute path of the compiled runtime in this package's own `dist/`, used when the package
 * name does not resolve from the host (inside this repository). A plain string: safe to capture.
 */
const ENGINE_FALLBACK: string = __filename.endsWith(".ts")
  ? __dirname.replace(/[\\/]src[\\/]pulumi$/, "") + "/dist/pulumi/provider-runtime.js"
  : __dirname + "/provider-runtime.js";

/**
 * Loads the implementation when a method runs inside Pulumi's dynamic-provider host, so the
 * serialized provider stays small and `refresh`/`destroy` run the installed code. Uses
 * `require` inside the function body: it survives serialization under vitest and from
 * compiled JS, where a captured top-level import would not.
 */
function loadEngine(): typeof import("./provider-runtime") {
  try {
    return require("tuco-webhooks/pulumi/engine");
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== "MODULE_NOT_FOUND" && code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw err;
    return require(ENGINE_FALLBACK);
  }
}

/**
 * The Tuco webhook dynamic provider. Every method delegates to `tuco-webhooks/pulumi/engine`,
 * loaded at run time; settings come from `configure` (Pulumi config `tuco:apiKey`,
 * `tuco:apiUrl`, `tuco:timeoutMs`) or the environment (`TUCO_API_KEY`, `TUCO_API_URL`,
 * `TUCO_TIMEOUT_MS`) at run time and are never captured here.
 * If `create` fails after the webhook was made, the error carries `id` and `properties`
 * and the webhook stays in state (a partial create); `diff` never asks for a replacement.
 */
export const webhookProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    loadEngine().configure(req);
  },
  async check(olds, news) {
    return loadEngine().check(olds, news);
  },
  async diff(id, olds, news) {
    return loadEngine().diff(id, olds, news);
  },
  async create(inputs) {
    return loadEngine().create(inputs);
  },
  async read(id, props) {
    return loadEngine().read(id, props);
  },
  async update(id, olds, news) {
    return loadEngine().update(id, olds, news);
  },
  async delete(id, props) {
    return loadEngine().remove(id, props);
  },
};
