/** The age recipients a secret is sealed to and the identities that open it: their checks. */
import { TucoError } from "../api/errors";
import { showValue } from "../private/text";
import { invalid, valid, type Checked } from "../webhook/problems";

/** A sealing recipient or identity was malformed or missing. Raised before anything is created. */
export class SealingConfigError extends TucoError {
  readonly code = "SEALING_CONFIG";
}

const BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32_GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
// "age1" + 52 data characters (32 bytes) + 6 checksum characters.
const X25519_RECIPIENT = /^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/;

function bech32ChecksumOk(text: string): boolean {
  const sep = text.lastIndexOf("1");
  const hrp = text.slice(0, sep);
  const values = [...hrp].map((c) => c.charCodeAt(0) >> 5);
  values.push(0, ...[...hrp].map((c) => c.charCodeAt(0) & 31));
  for (const c of text.slice(sep + 1)) values.push(BECH32_CHARSET.indexOf(c));
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= BECH32_GENERATORS[i];
  }
  return chk === 1;
}

/** Where recipients come from, for error messages that say how to configure them. */
const HOW_TO_CONFIGURE =
  "generate a key pair with `age-keygen -o key.txt` (keep key.txt secret, with whoever must read the webhook secret) " +
  "and list its public key (the `age1...` line age-keygen prints) as a recipient";

/** Checks one X25519 age recipient (`age1` + 58 bech32 characters, valid checksum) and returns it trimmed. */
export function checkRecipient(value: unknown, where = "recipient"): Checked<string> {
  const shown = typeof value === "string" ? JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value) : String(value);
  const bad = (message: string) => invalid({ field: where, value, message });
  if (typeof value !== "string") return bad(`${where} ${shown} must be a string: ${HOW_TO_CONFIGURE}.`);
  const text = value.trim();
  if (/^AGE-SECRET-KEY-/i.test(text)) {
    // Never repeated: the value is a secret key.
    return invalid({ field: where, value: "(withheld)", message: `${where} is an age SECRET key (AGE-SECRET-KEY-...): never configure it here; use its public key, the age1... line \`age-keygen -y key.txt\` prints.` });
  }
  // The post-quantum and tag recipients' own prefixes, whole: an X25519 key may well start "age1pq" or "age1tag" (its data is any bech32).
  if (/^age1(pq|tag|tagpq)1/.test(text) || text.startsWith("ssh-")) {
    return bad(`${where} ${shown} is not an X25519 age recipient: only age1... keys from \`age-keygen\` (62 characters) are supported.`);
  }
  if (!X25519_RECIPIENT.test(text) || !bech32ChecksumOk(text)) {
    return bad(`${where} ${shown} is not a valid X25519 age recipient (age1 followed by 58 lowercase bech32 characters): copy the public key exactly as \`age-keygen\` prints it.`);
  }
  return valid(text);
}

/**
 * Checks a list of recipients and returns them trimmed and de-duplicated. Accepts a list or one
 * string with recipients separated by commas, whitespace or newlines (comments `#...` ignored, as
 * in an age recipients file). None at all is a problem: a secret sealed to no one is lost.
 */
export function checkRecipients(input: unknown, where = "seal.recipients"): Checked<string[]> {
  let items: unknown[];
  if (input === undefined || input === null) items = [];
  else if (typeof input === "string") {
    items = input
      .split("\n")
      .map((line) => line.replace(/#.*$/, ""))
      .flatMap((line) => line.split(/[\s,]+/))
      .filter((s) => s !== "");
  } else if (Array.isArray(input)) items = input;
  else return invalid({ field: where, value: input, message: `${where} ${showValue(input)} must be a list of age1... recipients, got ${typeof input}: ${HOW_TO_CONFIGURE}.` });
  if (items.length === 0) {
    return invalid({
      field: where,
      value: input,
      message:
        `${where} is empty: the webhook's one-time secret must be sealed the moment Tuco returns it, and nobody could read a secret sealed to no one. ` +
        `To configure recipients, ${HOW_TO_CONFIGURE}.`,
    });
  }
  const checked = items.map((item, i) => checkRecipient(item, `${where}[${i}]`));
  const problems = checked.flatMap((c) => c.problems);
  if (problems.length > 0) return invalid(problems[0], ...problems.slice(1));
  return valid([...new Set(checked.map((c) => c.value as string))]);
}

/** Like `checkRecipients`, but throws `SealingConfigError` with the first problem. */
export function parseRecipients(input: unknown, where = "seal.recipients"): string[] {
  const checked = checkRecipients(input, where);
  if (checked.value === undefined) throw new SealingConfigError(checked.problems[0].message);
  return checked.value;
}

/** The X25519 secret keys (`AGE-SECRET-KEY-1...`) in an age identity file; comments and blank lines are ignored. */
export function parseIdentityFile(text: string, where = "identity file"): string[] {
  const keys = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  if (keys.length === 0) throw new SealingConfigError(`${where} holds no AGE-SECRET-KEY-1... line: pass the file \`age-keygen -o key.txt\` wrote.`);
  for (const key of keys) {
    if (!/^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$/.test(key)) {
      throw new SealingConfigError(`${where} has a line that is not an X25519 age identity (AGE-SECRET-KEY-1...): pass the file \`age-keygen -o key.txt\` wrote.`);
    }
  }
  return keys;
}
