/** Strict command-line flags: unknown flags, missing values and repeats are one usage error naming the fix. */
import { parseArgs } from "node:util";
import { TucoError } from "../api/errors";
import { showValue } from "../private/text";

/** The command line itself was wrong: a flag, its value, or a missing input. Raised before any API call. */
export class UsageError extends TucoError {
  readonly code = "USAGE";
}

/** The flags a command takes, as node's `parseArgs` describes them. */
export type FlagSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean }>;

const KEY_FLAGS = new Set(["--api-key", "--apikey", "--token", "--tuco-api-key"]);

/** Edit distance (optimal string alignment: a swap of two neighbours is one edit), to suggest the name a typo meant. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * " (did you mean X?)" when `given` is a typo of one of `known` (few enough edits for its length),
 * else "". The one suggestion of the CLI: unknown flags, commands and subcommands all get it here;
 * `show` writes the name as the user types it (e.g. with its "--").
 */
export function didYouMean(given: string, known: readonly string[], show: (name: string) => string = (name) => name): string {
  const best = known.map((k) => ({ k, d: distance(given, k) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(1, Math.floor(best.k.length / 3)) ? ` (did you mean ${show(best.k)}?)` : "";
}

function suggestion(flag: string, known: readonly string[]): string {
  return didYouMean(flag.replace(/^-+/, "").split("=")[0], known, (k) => `--${k}`);
}

/** Parsed flags: strings, booleans, or lists for `multiple` flags. */
export type FlagValues<F extends FlagSpec> = { [K in keyof F]?: F[K]["multiple"] extends true ? string[] : F[K]["type"] extends "boolean" ? boolean : string } & { help?: boolean };

/**
 * Parses flags strictly: an unknown flag, a missing value, a value given to a flag that takes none,
 * and a single-valued flag given twice are each one `UsageError` naming the flag, the value and the
 * fix. `--help` is always accepted. The API key is never a flag: it is read from TUCO_API_KEY only.
 */
export function parseFlags<F extends FlagSpec>(
  command: string,
  args: readonly string[],
  flags: F,
  positionals = false,
): { values: FlagValues<F>; positionals: string[] } {
  for (const arg of args) {
    if (arg === "--") break;
    const name = arg.split("=")[0];
    if (KEY_FLAGS.has(name)) {
      throw new UsageError(`${name} is not accepted: the API key is read only from the environment variable TUCO_API_KEY (argv is visible to every process on the machine)`);
    }
  }
  return parseStrictFlags(command, args, flags, positionals);
}

/** `parseFlags` without the API-key guard, for the emulator, whose `--api-key` names keys to accept. */
export function parseStrictFlags<F extends FlagSpec>(
  command: string,
  args: readonly string[],
  flags: F,
  positionals = false,
): { values: FlagValues<F>; positionals: string[] } {
  const help = `run \`tuco-webhooks ${command} --help\` for the flags it takes`;
  const known = Object.keys(flags);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...flags, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: positionals,
      tokens: true,
    });
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    const message = (err as Error).message;
    const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? "";
    let why: string;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") why = `unknown flag ${flag || message}${suggestion(flag, known)}`;
    else if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && /does not take an argument/.test(message)) {
      const given = args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
      why = `flag ${flag} takes no value${given !== undefined ? `, got ${showValue(given)}` : ""}: write ${flag} alone`;
    } else if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && /ambiguous/.test(message)) {
      const next = args[args.indexOf(flag) + 1];
      why = `flag ${flag} needs a value, but the next argument is ${showValue(next)}: give ${flag} its value (write ${flag}=${next ?? "VALUE"} if the value really starts with a dash)`;
    } else if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") why = `flag ${flag || message} needs a value`;
    else if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") why = `unexpected argument ${showValue(/'([^']*)'/.exec(message)?.[1] ?? message)}`;
    else why = message.split("\n")[0];
    throw new UsageError(`${why}: ${help}`);
  }
  const seen = new Map<string, string[]>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option" || token.name === "help" || flags[token.name]?.multiple) continue;
    const values = seen.get(token.name) ?? [];
    values.push(token.value ?? "");
    seen.set(token.name, values);
    if (values.length === 2) {
      const shown = flags[token.name].type === "boolean" ? "" : ` (${values.map((v) => showValue(v)).join(", then ")})`;
      throw new UsageError(`flag --${token.name} was given twice${shown}: give it once`);
    }
  }
  return { values: parsed.values as never, positionals: parsed.positionals };
}
