import { OpenSealedSecretError, checkOutputPath, openSealedSecret, parseIdentityFile, parseRecipients, sealSecret, writePrivateFile } from "../../secrets";
import { defineCommand } from "../command";
import { UsageError, didYouMean, parseFlags } from "../flags";
import { showValue } from "../../private/text";
import { printText, withhold } from "../output";
import { writeStdout } from "../stdio";
import { MAX_INPUT_FILE_BYTES, readInputFile } from "../files";

const HELP = `
Usage: tuco-webhooks secret open FILE --identity IDENTITY_FILE [--identity ...] [--out PATH]
       tuco-webhooks secret seal --recipient age1... [--recipient ...]  < secret

open   decrypts a sealed secret (armored or binary age file) with an age identity file
       (AGE-SECRET-KEY-1... lines as age-keygen writes them; comments ignored) and prints
       the secret to stdout exactly, without a newline, or writes it to --out (mode 0600).
       Same result as: age -d -i IDENTITY_FILE FILE
seal   reads a secret from stdin (never from argv) and prints it sealed (ASCII-armored age)
       to stdout, for rotation tooling. The bytes are sealed exactly: use printf %s, not echo.

No API call and no API key needed.
Exit codes: 0 done, 1 error.
`;

/** Reads stdin, refusing more than `MAX_INPUT_FILE_BYTES` (no webhook secret is anywhere near that). */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    total += (chunk as Buffer).length;
    if (total > MAX_INPUT_FILE_BYTES) {
      throw new UsageError(`stdin holds more than ${MAX_INPUT_FILE_BYTES / (1024 * 1024)} MiB, which is not a webhook secret: pipe in the secret alone, e.g. printf %s "$SECRET" | tuco-webhooks secret seal --recipient age1...`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function open(args: readonly string[], log: (m: string) => void): Promise<number> {
  const { values, positionals } = parseFlags("secret", args, { identity: { type: "string", multiple: true }, out: { type: "string" } }, true);
  if (positionals.length !== 1) {
    throw new UsageError(`secret open takes one sealed FILE, got ${positionals.length}: tuco-webhooks secret open FILE --identity key.txt`);
  }
  const file = positionals[0];
  const identityFiles = values.identity ?? [];
  if (identityFiles.length === 0) throw new UsageError("--identity is missing: pass the age identity file (AGE-SECRET-KEY-1...) whose public key the secret was sealed to");
  let out: string | undefined;
  if (values.out !== undefined) {
    const checked = checkOutputPath("--out", values.out, "webhook-secret.txt");
    if (checked.value === undefined) throw new UsageError(checked.problems[0].message);
    out = checked.value;
  }
  const identities: string[] = [];
  for (const path of identityFiles) {
    const text = (await readInputFile("--identity", path, "pass the identity file `age-keygen -o key.txt` wrote")).toString("utf8");
    identities.push(...parseIdentityFile(text, `--identity ${JSON.stringify(path)}`));
  }
  for (const id of identities) withhold(id);
  const sealed = await readInputFile("sealed FILE", file, "pass the .age file `tuco-webhooks apply` wrote");
  let secret: string;
  try {
    secret = await openSealedSecret(sealed, identities);
  } catch (err) {
    if (err instanceof OpenSealedSecretError) throw new OpenSealedSecretError(`sealed FILE ${JSON.stringify(file)}: ${err.message}`, { cause: err });
    throw err;
  }
  if (out !== undefined) {
    const path = await writePrivateFile(out, secret);
    log(`wrote the secret to ${path} (mode 0600)`);
  } else {
    writeStdout(secret);
  }
  return 0;
}

async function seal(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags("secret", args, { recipient: { type: "string", multiple: true } }, true);
  if (positionals.length > 0) {
    // Never echoed: a stray argument here is most likely the secret itself.
    throw new UsageError(`secret seal takes no argument (${positionals.length} given, not shown: argv is visible to every process): pipe the secret in, e.g. printf %s "$SECRET" | tuco-webhooks secret seal --recipient age1...`);
  }
  const recipients = parseRecipients(values.recipient ?? [], "--recipient");
  if (process.stdin.isTTY) throw new UsageError("secret seal reads the secret from stdin: pipe it in, e.g. printf %s \"$SECRET\" | tuco-webhooks secret seal --recipient age1...");
  const secret = await readStdin();
  if (secret.length === 0) throw new UsageError("stdin was empty: pipe the secret in, e.g. printf %s \"$SECRET\" | tuco-webhooks secret seal --recipient age1...");
  withhold(secret.toString("utf8"));
  printText(await sealSecret(new Uint8Array(secret), recipients));
  return 0;
}

export const command = defineCommand("secret", "open a sealed webhook secret, or seal one from stdin (age)", HELP, async (args, log) => {
  const [sub, ...rest] = args;
  if (sub === "open") return open(rest, log);
  if (sub === "seal") return seal(rest);
  const unknown = sub === undefined ? "no subcommand" : `unknown subcommand ${showValue(sub)}${didYouMean(sub, ["open", "seal"])}`;
  throw new UsageError(`${unknown}: use \`secret open FILE --identity key.txt\` or \`secret seal --recipient age1...\``);
});
