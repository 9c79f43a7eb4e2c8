import { showValue } from "../private/text";
import type { CliCommand } from "./command";
import { didYouMean } from "./flags";
import { writeStderr, writeStdout } from "./stdio";

/** Subcommands, loaded lazily: `require` keeps start-up to the one command that runs. */
const COMMANDS: Record<string, { summary: string; load: () => CliCommand }> = {
  apply: { summary: "create or update one webhook, seal its secret, health-check it", load: () => require("./commands/apply").command },
  delete: { summary: "delete the webhook(s) of one owner (stack + key) or one id", load: () => require("./commands/delete").command },
  prune: { summary: "delete a stack's webhooks whose keys it no longer declares", load: () => require("./commands/prune").command },
  list: { summary: "list the workspace's webhooks and who owns them", load: () => require("./commands/list").command },
  adopt: { summary: "put an existing webhook under a stack instance's ownership", load: () => require("./commands/adopt").command },
  secret: { summary: "open a sealed webhook secret, or seal one from stdin (age)", load: () => require("./commands/secret").command },
  drift: { summary: "compare a synthesized stack with the live webhooks (exit 2 on drift)", load: () => require("./commands/drift").command },
  emulator: { summary: "run the local Tuco API emulator", load: () => require("./commands/emulator").command },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: tuco-webhooks <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `tuco-webhooks <command> --help` for a command's options.",
    "Environment: TUCO_API_URL (default https://app.tuco.ai), TUCO_API_KEY, TUCO_TIMEOUT_MS (default 30000).",
    "Exit codes: 0 success, 1 error, 2 drift found (drift only).",
  ].join("\n");
}

/** Runs one CLI invocation and resolves to its exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // A usage error: stdout stays clean for whatever reads it.
    writeStderr(`tuco-webhooks: no command given\n\n${usage()}\n`);
    return 1;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    writeStdout(`${usage()}\n`);
    return 0;
  }
  if (name === "--version") {
    writeStdout(`${(require("../../package.json") as { version: string }).version}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    // One line, as an unknown flag gets: the typo's likely command, and where the list is.
    const names = Object.keys(COMMANDS);
    writeStderr(`tuco-webhooks: unknown command ${showValue(name)}${didYouMean(name, names)}: the commands are ${names.join(", ")}; run \`tuco-webhooks --help\`\n`);
    return 1;
  }
  return entry.load().run(rest);
}
