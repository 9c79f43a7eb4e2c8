import { parseArgs } from "node:util";
import { TucoClient } from "../api/client";
import { TucoError } from "../api/errors";
import type { CliCommand } from "./command";

/** The command line itself was wrong: a flag, its value, or a missing input. Raised before any API call. */
export class UsageError extends TucoError {
  constructor(message: string) {
    super("CONFIG", message);
  }
}

/** Strings that must never reach stdout or stderr (the API key, a one-time secret): replaced by `(withheld)`. */
const withheld = new Set<string>();

/** Registers a value that output must never show. Values shorter than 8 characters are ignored. */
export function withhold(value: string | undefined): void {
  if (value && value.length >= 8) withheld.add(value);
}

function scrub(text: string): string {
  let out = text;
  for (const value of withheld) out = out.split(value).join("(withheld)");
  return out;
}

/** Progress and diagnostics for one command, on stderr, prefixed with the command name. */
export function logger(command: string): (message: string) => void {
  return (message) => {
    process.stderr.write(scrub(`tuco-webhooks ${command}: ${message}`.replace(/\r?\n/g, " ")) + "\n");
  };
}

/** Writes the one JSON document of `--json` to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(scrub(JSON.stringify(value, null, 2)) + "\n");
}

/** Writes human-readable results to stdout. */
export function printText(text: string): void {
  process.stdout.write(scrub(text.endsWith("\n") ? text : `${text}\n`));
}

type FlagSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean }>;

const KEY_FLAGS = new Set(["--api-key", "--apikey", "--token", "--tuco-api-key"]);

/**
 * Parses flags strictly (unknown flags and missing values are errors naming the flag).
 * `--help` is always accepted. The API key is never a flag: it is read from TUCO_API_KEY only.
 */
export function parseFlags<F extends FlagSpec>(
  command: string,
  args: readonly string[],
  flags: F,
  positionals = false,
): { values: { [K in keyof F]?: F[K]["multiple"] extends true ? string[] : F[K]["type"] extends "boolean" ? boolean : string }; positionals: string[] } {
  for (const arg of args) {
    const name = arg.split("=")[0];
    if (KEY_FLAGS.has(name)) {
      throw new UsageError(`${name} is not accepted: the API key is read only from the environment variable TUCO_API_KEY (argv is visible to every process on the machine)`);
    }
  }
  try {
    const parsed = parseArgs({
      args: [...args],
      options: { ...flags, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: positionals,
    });
    return { values: parsed.values as never, positionals: parsed.positionals };
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    const message = (err as Error).message;
    const flag = /'(-[^' ]+)/.exec(message)?.[1];
    let why: string;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") why = `unknown flag ${flag ?? message}`;
    else if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") why = flag ? `flag ${flag} needs a value` : message;
    else if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") why = `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? message}`;
    else why = message;
    throw new UsageError(`${why}: run \`tuco-webhooks ${command} --help\` for the flags it takes`);
  }
}

/** The API client configured from TUCO_API_URL / TUCO_API_KEY, logging retries to stderr. */
export function clientFromEnv(log: (message: string) => void): TucoClient {
  withhold(process.env.TUCO_API_KEY);
  return TucoClient.fromEnv({
    onRetry: (r) => {
      const reason = r.reason.replace(/\.$/, "");
      // The client's reasons already start with the request ("GET /api/webhooks failed ..."): say it once.
      const what = reason.startsWith(`${r.method} `) ? reason : `${r.method} ${r.path}: ${reason}`;
      log(`${what}; retry ${r.attempt} in ${r.delayMs} ms`);
    },
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
