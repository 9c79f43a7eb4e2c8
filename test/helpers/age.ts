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

const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

function bech32Polymod(values: readonly number[]): number {
  const generators = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= generators[i];
  }
  return chk;
}

/**
 * An X25519 age recipient (`age1` + 32 bytes in bech32 + checksum) whose data starts with `start`
 * (bech32 characters) and goes on with `seed`'s bits: any 32 bytes are an X25519 public key, so
 * real `age -r` encrypts to it. For keys the odds make rare (`age1pq...`, `age1tag...`).
 */
export function x25519Recipient(start: string, seed = 0): string {
  const data = Array.from({ length: 52 }, (_, i) => (i < start.length ? BECH32.indexOf(start[i]) : (seed * 7 + i * 13 + (seed >> (i % 20))) & 31));
  data[51] &= 0b10000; // 256 bits in 52 groups of 5: the last group's low 4 bits are padding, zero
  const hrp = [..."age"].map((c) => c.charCodeAt(0));
  const mod = bech32Polymod([...hrp.map((c) => c >> 5), 0, ...hrp.map((c) => c & 31), ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = Array.from({ length: 6 }, (_, k) => (mod >>> (5 * (5 - k))) & 31);
  return `age1${[...data, ...checksum].map((v) => BECH32[v]).join("")}`;
}
