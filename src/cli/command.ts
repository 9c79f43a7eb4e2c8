/** One `tuco-webhooks` subcommand, and what every command shares: help, error handling, the API client. */
import { DEFAULT_TIMEOUT_MS, HEALTH_CHECK_ENDPOINT_WAIT_MS } from "../api/config";
import { TucoClient } from "../api/client";
import { logger, printText, withhold } from "./output";


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
  return TucoClient.fromEnv({
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
