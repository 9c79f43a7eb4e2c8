/**
 * What the CLI prints: progress on stderr, results on stdout, and the last defences that keep the
 * API key and every one-time secret out of both (`withhold`, `scrub`) and no control or direction
 * character from text that is not ours (the API's) raw on a terminal.
 */
import { escapeUnsafe, plainUntrusted } from "../private/text";
import { writeStderr, writeStdout } from "./stdio";

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

/** A line for a terminal: whatever text from outside slipped in, no control or direction character reaches it raw. */
function terminalSafe(line: string): string {
  return line
    .split("\n")
    .map((l) => plainUntrusted(l))
    .join("\n");
}

/** Progress and diagnostics for one command, on stderr, prefixed with the command name. */
export function logger(command: string): (message: string) => void {
  return (message) => {
    writeStderr(terminalSafe(scrub(`tuco-webhooks ${command}: ${message}`.replace(/\r?\n/g, " "))) + "\n");
  };
}

/** Writes the one JSON document of `--json` to stdout (characters a terminal must not get raw are written as JSON escapes). */
export function printJson(value: unknown): void {
  writeStdout(escapeUnsafe(scrub(JSON.stringify(value, null, 2))) + "\n");
}

/** Writes human-readable results to stdout. */
export function printText(text: string): void {
  writeStdout(terminalSafe(scrub(text.endsWith("\n") ? text.slice(0, -1) : text)) + "\n");
}
