/**
 * What the CLI prints: progress on stderr, results on stdout, and the last defence that keeps the
 * API key and every one-time secret out of both (`withhold`, `scrub`).
 */

/** Strings that must never reach stdout or stderr (the API key, a one-time secret): replaced by `(withheld)`. */
const withheld = new Set<string>();

/** Registers a value that output must never show. Values shorter than 8 characters are ignored. */
export function withhold(value: string | undefined): void {
  if (value && value.length >= 8) withheld.add(value);
}

/** `text` with every withheld value replaced by `(withheld)`. */
export function scrub(text: string): string {
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
