import { armor, encryptToX25519, unarmor } from "./age-format";
import { WEBHOOK_ID_SOURCE, isWebhookIdShaped } from "../private/webhook-id";
import { parseRecipients } from "./recipients";

type AgeModule = typeof import("age-encryption", { with: { "resolution-mode": "import" } });

/** The ESM-only age library, for opening files; `import()` survives the CommonJS build (module node16). */
export function loadAge(): Promise<AgeModule> {
  return import("age-encryption");
}

/** The type of the header stanza that names the webhook a sealed secret belongs to. */
export const WEBHOOK_STANZA = "tuco-webhook";

/**
 * Encrypts `secret` with age to every X25519 recipient and returns the ASCII-armored file
 * (`-----BEGIN AGE ENCRYPTED FILE-----`), which `age -d -i key.txt` decrypts (written by
 * age-format.ts with node:crypto: a provisioner pays microseconds for it, not a JavaScript crypto library).
 * With `webhookId`, the header also carries a `tuco-webhook <id>` stanza, which every age
 * implementation skips (the age spec has identities ignore stanzas they do not know), so anyone
 * can tell which webhook a sealed file belongs to without opening it (`sealedWebhookId`).
 * Throws `SealingConfigError` before encrypting when the recipients are missing or malformed.
 */
export async function sealSecret(secret: string | Uint8Array, recipients: readonly string[], options: { webhookId?: string } = {}): Promise<string> {
  const checked = parseRecipients(recipients, "recipients");
  const { webhookId } = options;
  if (webhookId !== undefined && !isWebhookIdShaped(webhookId)) throw new RangeError(`cannot label a sealed file with the webhook id ${JSON.stringify(webhookId)}`);
  const plaintext = typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
  return armor(encryptToX25519(plaintext, checked, webhookId === undefined ? [] : [{ type: WEBHOOK_STANZA, args: [webhookId] }]));
}

/**
 * The webhook id a sealed file's header names (see `sealSecret`), read without opening the file;
 * undefined when it names none or is not an age file. A label, not a proof: only opening the file
 * shows the secret it holds.
 */
export async function sealedWebhookId(sealed: string | Uint8Array): Promise<string | undefined> {
  const text = typeof sealed === "string" ? sealed : Buffer.from(sealed).toString("latin1");
  const bytes = text.trimStart().startsWith("-----BEGIN AGE ENCRYPTED FILE-----") ? unarmor(text) : Buffer.from(text, "latin1");
  if (bytes === undefined) return undefined;
  const head = bytes.subarray(0, 16 * 1024).toString("latin1");
  if (!head.startsWith("age-encryption.org/v1\n")) return undefined;
  const end = head.indexOf("\n---");
  const header = end < 0 ? head : head.slice(0, end);
  const m = new RegExp(`^-> ${WEBHOOK_STANZA} (${WEBHOOK_ID_SOURCE})$`, "m").exec(header);
  return m?.[1];
}
