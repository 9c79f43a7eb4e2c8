import { TucoError } from "../api/errors";
import { loadAge } from "./seal";
import { SealingConfigError } from "./recipients";

const ARMOR_HEADER = "-----BEGIN AGE ENCRYPTED FILE-----";
const BINARY_HEADER = "age-encryption.org/v1\n";

/** A sealed file could not be opened: not an age file, or no given identity is a recipient. */
export class OpenSealedSecretError extends TucoError {
  readonly code = "SEALED_FILE";
}

/**
 * Decrypts an age file, armored or binary, with X25519 identities (`AGE-SECRET-KEY-1...`)
 * and returns the plaintext as UTF-8 text.
 */
export async function openSealedSecret(sealed: string | Uint8Array, identities: readonly string[]): Promise<string> {
  if (identities.length === 0) throw new SealingConfigError("No identity given: pass the AGE-SECRET-KEY-1... file age-keygen wrote.");
  const age = await loadAge();
  const bytes = typeof sealed === "string" ? Buffer.from(sealed, "utf8") : Buffer.from(sealed);
  const head = bytes.subarray(0, 64).toString("latin1").trimStart();
  let file: Uint8Array;
  if (head.startsWith(ARMOR_HEADER)) {
    try {
      file = age.armor.decode(bytes.toString("utf8"));
    } catch (err) {
      throw new OpenSealedSecretError(`The sealed file's ASCII armor is damaged (${(err as Error).message}): use the file exactly as it was written.`, { cause: err });
    }
  } else if (head.startsWith(BINARY_HEADER)) {
    file = bytes;
  } else {
    throw new OpenSealedSecretError("Not an age-encrypted file (no age header): pass the .age file `tuco-webhooks apply` wrote.");
  }
  const decrypter = new age.Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  try {
    return await decrypter.decrypt(file, "text");
  } catch (err) {
    const why = (err as Error).message;
    throw new OpenSealedSecretError(
      /no identity matched/i.test(why)
        ? "None of the given identities can open this file: it was sealed to other recipients. Use the key whose age1... public key was configured as a recipient."
        : `Could not decrypt the sealed file (${why}): it may be damaged or truncated.`,
      { cause: err },
    );
  }
}
