import { parseRecipients } from "./recipients";

type AgeModule = typeof import("age-encryption", { with: { "resolution-mode": "import" } });

/** The ESM-only age library; `import()` survives the CommonJS build (module node16). */
export function loadAge(): Promise<AgeModule> {
  return import("age-encryption");
}

/**
 * Encrypts `secret` with age to every X25519 recipient and returns the ASCII-armored file
 * (`-----BEGIN AGE ENCRYPTED FILE-----`), which `age -d -i key.txt` decrypts.
 * Throws `SealingConfigError` before encrypting when the recipients are missing or malformed.
 */
export async function sealSecret(secret: string | Uint8Array, recipients: readonly string[]): Promise<string> {
  const checked = parseRecipients(recipients, "recipients");
  const age = await loadAge();
  const encrypter = new age.Encrypter();
  for (const recipient of checked) encrypter.addRecipient(recipient);
  return age.armor.encode(await encrypter.encrypt(secret));
}
