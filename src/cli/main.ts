#!/usr/bin/env node
/**
 * The `tuco-webhooks` command line. Each subcommand lives in its own module under
 * ./commands and is loaded only when called, so a provisioner pays for one command's
 * imports, not all of them.
 *
 * Exit codes: 0 success; 1 error (bad input, API failure, health-check failed);
 * 2 drift found (`drift` only, like `terraform plan -detailed-exitcode`).
 */
import { runCli } from "./run";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tuco-webhooks: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
