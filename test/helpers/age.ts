/** The real age CLI for tests: key pairs from `age-keygen`, files sealed by `age -r` and opened by `age -d`. */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { checkExit, requireBinary, runSync } from "./process";

let found = false;

/** Fails loudly (never skips) when `age` or `age-keygen` is missing: the interop tests need the real binaries. */
export function requireAgeBinary(): void {
  if (found) return;
  for (const bin of ["age", "age-keygen"]) {
    requireBinary(bin, ["--version"], `The \`${bin}\` binary is missing: install it with \`apt-get update && apt-get install -y age\` (.ci/run does this). The sealing tests decrypt with the real age CLI and never skip.`);
  }
  found = true;
}

/** An X25519 key pair: the identity file's text (AGE-SECRET-KEY-1... with comments) and its recipient (age1...). */
export interface AgeKeypair {
  readonly identity: string;
  readonly recipient: string;
}

/** A fresh key pair made by the real `age-keygen`; given `dir`, its identity is also written to `dir/name` (mode 0600). */
export function ageKeypair(): AgeKeypair;
export function ageKeypair(dir: string, name?: string): AgeKeypair & { readonly identityFile: string };
export function ageKeypair(dir?: string, name = "age-identity.txt"): AgeKeypair & { readonly identityFile?: string } {
  requireAgeBinary();
  const identity = checkExit(runSync("age-keygen", [])).stdout;
  const recipient = checkExit(runSync("age-keygen", ["-y"], {}, { stdin: identity })).stdout.trim();
  if (dir === undefined) return { identity, recipient };
  const identityFile = path.join(dir, name);
  writeFileSync(identityFile, identity, { mode: 0o600 });
  return { identity, recipient, identityFile };
}

/** Seals `plaintext` to `recipients` with the real `age` into `file` (the binary format); returns `file`. */
export function ageEncrypt(plaintext: string, recipients: readonly string[], file: string): string {
  requireAgeBinary();
  checkExit(runSync("age", [...recipients.flatMap((r) => ["-r", r]), "-o", file], {}, { stdin: plaintext }));
  return file;
}

/** Opens a sealed file with the real `age -d`. */
export function ageDecrypt(file: string, identityFile: string): string {
  requireAgeBinary();
  return checkExit(runSync("age", ["-d", "-i", identityFile, file])).stdout;
}
