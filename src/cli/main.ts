#!/usr/bin/env node
/**
 * The `tuco-webhooks` command line. Each subcommand lives in its own module under
 * ./commands and is loaded only when called, so a provisioner pays for one command's
 * imports, not all of them.
 *
 * Exit codes: 0 success; 1 error (bad input, API failure, health-check failed);
 * 2 drift found (`drift` only, like `terraform plan -detailed-exitcode`).
 */
import { excludeMemoryFromCoreDumps } from "../secrets/core-dumps";
import { runCli } from "./run";
import { writeStderr } from "./stdio";

// Before any command reads the API key or receives a secret: a core dump holds neither.
excludeMemoryFromCoreDumps();

// A command that never settles (the event loop emptied under it) must not look like success
// to a provisioner: the exit code is 1 until the command says otherwise.
let settled = false;
process.exitCode = 1;
process.on("exit", () => {
  if (!settled) writeStderr("tuco-webhooks: the command ended before it finished; nothing it reported can be trusted\n");
});

runCli(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    settled = true;
    // Commands scrub their own output; an error that escaped them (loading a module, the emulator) is
    // scrubbed of the one secret a process always holds, the API key. Loaded only on this rare path.
    const { scrub, withhold } = require("./output") as typeof import("./output");
    withhold(process.env.TUCO_API_KEY);
    writeStderr(`${scrub(`tuco-webhooks: ${err instanceof Error ? err.message : String(err)}`)}\n`);
    process.exitCode = 1;
  },
);
