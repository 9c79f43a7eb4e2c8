/**
 * One `tuco-webhooks` subcommand, and what every command shares: help, error handling, the API
 * client. A provisioner's process pays for what it loads: the client (and the HTTP stack under it)
 * is loaded when a command first calls the API, never by `--help` or a rejected argument.
 */
import { DEFAULT_TIMEOUT_MS, HEALTH_CHECK_ENDPOINT_WAIT_MS } from "../api/config";
import type { TucoClient } from "../api/client";
import { INSTANCE_ENV } from "../webhook/declaration";
import { checkInstance } from "../webhook/ownership";
import { UsageError } from "./flags";
import { logger, printText, withhold } from "./output";

export { INSTANCE_ENV };


/** One `tuco-webhooks` subcommand. `run` resolves to the process exit code and never calls process.exit. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  run(args: readonly string[]): Promise<number>;
}

/** The "Environment:" lines of a command's help; `healthChecks` when the command may send one. */
export function apiEnvironmentHelp(healthChecks: boolean): string {
  const extra = healthChecks ? `; a health-check gets ${HEALTH_CHECK_ENDPOINT_WAIT_MS} more` : "";
  return `Environment: TUCO_API_KEY (required), TUCO_API_URL (default https://app.tuco.ai),\n  TUCO_TIMEOUT_MS (ms to wait for each answer, default ${DEFAULT_TIMEOUT_MS}${extra}).`;
}

/** The API client configured from TUCO_API_URL / TUCO_API_KEY / TUCO_TIMEOUT_MS, logging retries to stderr. */
export function clientFromEnv(log: (message: string) => void): TucoClient {
  withhold(process.env.TUCO_API_KEY);
  // undici parses HTTP with llhttp, a WebAssembly module, which V8 compiles with its baseline
  // compiler (Liftoff) and then again, in background threads, with its optimizing one. A one-shot
  // process makes a few requests and would spend more CPU on that second compile than on all its
  // work (bench/results.md): the baseline code is kept. Long-running hosts (Pulumi's) keep V8's default.
  (require("node:v8") as typeof import("node:v8")).setFlagsFromString("--liftoff-only");
  const { TucoClient: Client } = require("../api/client") as typeof import("../api/client");
  return Client.fromEnv({
    // The client's reasons are short phrases ("answered 503 Service Unavailable"): the request is named here, once.
    onRetry: (r) => log(`${r.method} ${r.path}: ${r.reason}; retry ${r.attempt} in ${r.delayMs} ms`),
  });
}

/**
 * Builds a command: prints `help` for `--help`, otherwise runs `body`, turning any thrown error
 * into one line on stderr and exit code 1.
 */
export function defineCommand(name: string, summary: string, help: string, body: (args: readonly string[], log: (message: string) => void) => Promise<number>): CliCommand {
  return {
    name,
    summary,
    async run(args) {
      const log = logger(name);
      if (args.includes("--help") || args.includes("-h")) {
        printText(help.trim());
        return 0;
      }
      try {
        return await body(args, log);
      } catch (err) {
        log(`error: ${err instanceof Error ? err.message : String(err)}`);
        return 1;
      }
    },
  };
}

/** The help line of `--instance`. */
export const INSTANCE_HELP = `  --instance ID       the stack instance: the id of the stack's instance resource in its Terraform
                      state (default: ${INSTANCE_ENV}, which the provisioners set; by hand:
                      terraform -chdir=cdktf.out/stacks/NAME output -raw tuco_webhooks_instance)`;

/** The stack instance from `--instance`, else TUCO_STACK_INSTANCE; undefined when neither is given, a usage error naming the one given when it is not an instance id. */
export function instanceGiven(flag: string | undefined): string | undefined {
  const value = flag ?? process.env[INSTANCE_ENV];
  if (value === undefined || value === "") return undefined;
  const checked = checkInstance(value, flag !== undefined ? "--instance" : INSTANCE_ENV);
  if (checked.value === undefined) throw new UsageError(checked.problems[0].message);
  return checked.value;
}

/** The stack instance from `--instance`, else TUCO_STACK_INSTANCE; a usage error naming both when neither is given. */
export function instanceFrom(flag: string | undefined): string {
  const instance = instanceGiven(flag);
  if (instance === undefined) {
    throw new UsageError(`no stack instance: pass --instance ID or set ${INSTANCE_ENV} (the provisioners get it from Terraform's state; by hand: terraform -chdir=cdktf.out/stacks/NAME output -raw tuco_webhooks_instance)`);
  }
  return instance;
}
