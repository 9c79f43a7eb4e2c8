/**
 * The age v1 file format (https://age-encryption.org/v1), the part tuco-webhooks writes: a file
 * encrypted to X25519 recipients, ASCII-armored, with node:crypto's native X25519, HKDF-SHA256,
 * HMAC-SHA256 and ChaCha20-Poly1305. Sealing runs in every provisioner that creates a webhook, and
 * the age-encryption library's pure-JavaScript primitives cost that process more CPU than all the
 * rest of its work together (bench/results.md); opening a file (rare, by people and services) still
 * goes through age-encryption, and every file written here is opened by the real `age` binary and
 * by age-encryption in the tests.
 *
 *   header  = "age-encryption.org/v1\n" stanza* "--- " base64(HMAC(HKDF(fileKey, "", "header"), header up to "---")) "\n"
 *   stanza  = "-> X25519 " base64(ephemeral share) "\n" base64(ChaCha20-Poly1305(HKDF(shared, share||recipient, "age-encryption.org/v1/X25519"), fileKey)) "\n"
 *   payload = nonce(16) STREAM(HKDF(fileKey, nonce, "payload"), 64 KiB chunks, counter||last-flag nonces)
 */
import { nodeCrypto as crypto } from "../private/node-crypto";

/** The type and arguments of an extra header stanza with an empty body (one every age implementation skips). */
export interface LabelStanza {
  readonly type: string;
  readonly args: readonly string[];
}

const BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const CHUNK = 64 * 1024;
const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END = "-----END AGE ENCRYPTED FILE-----";
/** PKCS#8 DER of an X25519 private key, before its 32 raw bytes. */
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/** The 32-byte public key of an `age1...` recipient (already checked: bech32 with a valid checksum). */
export function x25519RecipientKey(recipient: string): Buffer {
  const data = recipient.slice(recipient.lastIndexOf("1") + 1, -6);
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  for (const c of data) {
    acc = (acc << 5) | BECH32_CHARSET.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (out.length !== 32) throw new RangeError("an X25519 age recipient holds 32 bytes");
  return Buffer.from(out);
}

/** Standard base64 without padding, as age writes every binary value in its header. */
function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

/** A stanza body: base64 without padding in lines of 64 columns, the last one shorter (empty when it would be 64). */
function bodyLines(body: Uint8Array): string {
  const text = b64(body);
  const lines: string[] = [];
  for (let i = 0; i <= text.length; i += 64) lines.push(text.slice(i, i + 64));
  return `${lines.join("\n")}\n`;
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(crypto().hkdfSync("sha256", ikm, salt, info, 32));
}

function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = crypto().createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** One X25519 recipient stanza wrapping `fileKey`. */
function x25519Stanza(fileKey: Buffer, recipient: Buffer): string {
  const ephemeral = crypto().createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, crypto().randomBytes(32)]), format: "der", type: "pkcs8" });
  const share = Buffer.from(crypto().createPublicKey(ephemeral).export({ format: "jwk" }).x!, "base64url");
  const them = crypto().createPublicKey({ key: { kty: "OKP", crv: "X25519", x: recipient.toString("base64url") }, format: "jwk" });
  const shared = crypto().diffieHellman({ privateKey: ephemeral, publicKey: them });
  if (shared.every((b) => b === 0)) throw new RangeError("X25519 recipient gives an all-zero shared secret");
  const wrapKey = hkdf(shared, Buffer.concat([share, recipient]), "age-encryption.org/v1/X25519");
  return `-> X25519 ${b64(share)}\n${bodyLines(seal(wrapKey, Buffer.alloc(12), fileKey))}`;
}

/** The payload: a 16-byte nonce, then the plaintext in 64 KiB ChaCha20-Poly1305 chunks (the last one flagged; an empty plaintext is one empty last chunk). */
function payload(fileKey: Buffer, plaintext: Uint8Array): Buffer {
  const nonce = crypto().randomBytes(16);
  const key = hkdf(fileKey, nonce, "payload");
  const parts: Buffer[] = [nonce];
  for (let offset = 0, counter = 0; ; offset += CHUNK, counter++) {
    const last = offset + CHUNK >= plaintext.length;
    const chunkNonce = Buffer.alloc(12);
    chunkNonce.writeUIntBE(counter, 5, 6); // an 11-byte big-endian counter; a secret never needs more than 6 of them
    chunkNonce[11] = last ? 1 : 0;
    parts.push(seal(key, chunkNonce, plaintext.subarray(offset, offset + CHUNK)));
    if (last) return Buffer.concat(parts);
  }
}

/** Encrypts `plaintext` to X25519 recipients (`age1...`, checked), with extra empty-body stanzas, as an age v1 file. */
export function encryptToX25519(plaintext: Uint8Array, recipients: readonly string[], labels: readonly LabelStanza[] = []): Buffer {
  if (recipients.length === 0) throw new RangeError("age needs at least one recipient");
  const fileKey = crypto().randomBytes(16);
  let header = "age-encryption.org/v1\n";
  for (const r of recipients) header += x25519Stanza(fileKey, x25519RecipientKey(r));
  for (const l of labels) header += `-> ${[l.type, ...l.args].join(" ")}\n\n`;
  header += "---";
  const mac = crypto().createHmac("sha256", hkdf(fileKey, Buffer.alloc(0), "header")).update(header).digest();
  return Buffer.concat([Buffer.from(`${header} ${b64(mac)}\n`, "latin1"), payload(fileKey, plaintext)]);
}

/** The ASCII armor of an age file: standard base64 with padding in lines of 64 columns between the BEGIN and END lines. */
export function armor(file: Uint8Array): string {
  const text = Buffer.from(file).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 64) lines.push(text.slice(i, i + 64));
  return `${ARMOR_BEGIN}\n${lines.join("\n")}\n${ARMOR_END}\n`;
}

/** The bytes of an armored age file, or undefined when the text is not one (whitespace around it allowed, as age allows). */
export function unarmor(text: string): Buffer | undefined {
  const lines = text.trim().split(/\r?\n/);
  if (lines.length < 2 || lines[0] !== ARMOR_BEGIN || lines.at(-1) !== ARMOR_END) return undefined;
  const body = lines.slice(1, -1).join("");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) return undefined;
  return Buffer.from(body, "base64");
}
