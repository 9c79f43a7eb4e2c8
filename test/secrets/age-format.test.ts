/**
 * The age v1 files tuco-webhooks writes itself (src/secrets/age-format.ts, node:crypto) are age:
 * the real `age -d` and the age-encryption library open every one, at each payload size around
 * the 64 KiB chunk boundary, to one or several recipients, with the webhook label stanza, and
 * their armor is what `age --armor` accepts. A tampered header or payload is refused by both.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { armor, encryptToX25519, unarmor } from "../../src/secrets/age-format";
import { loadAge } from "../../src/secrets/seal";
import { ageKeypair, requireAgeBinary } from "../helpers/age";
import { runSync } from "../helpers/process";

let dir: string;
let alice: ReturnType<typeof ageKeypair> & { identityFile: string };
let bob: ReturnType<typeof ageKeypair> & { identityFile: string };

beforeAll(async () => {
  requireAgeBinary();
  dir = await mkdtemp(join(tmpdir(), "tuco-age-format-"));
  alice = ageKeypair(dir, "alice.txt");
  bob = ageKeypair(dir, "bob.txt");
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens a file with the real `age -d`: its stdout as bytes, or its error. */
function ageOpen(file: string, identityFile: string): { ok: true; bytes: Buffer } | { ok: false; stderr: string } {
  const out = `${file}.opened`;
  const run = runSync("age", ["-d", "-i", identityFile, "-o", out, file]);
  // age creates no output file for an empty plaintext.
  return run.code === 0 ? { ok: true, bytes: existsSync(out) ? readFileSync(out) : Buffer.alloc(0) } : { ok: false, stderr: run.stderr };
}

/** Opens bytes with the age-encryption library. */
async function libraryOpen(file: Uint8Array, identity: string): Promise<Uint8Array> {
  const age = await loadAge();
  const d = new age.Decrypter();
  d.addIdentity(identity.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-"))!);
  return d.decrypt(file);
}

describe("age files written with node:crypto", () => {
  test.each([0, 1, 32, 65_535, 65_536, 65_537, 2 * 65_536, 200_000])("a %i-byte payload opens with the real age and with age-encryption, binary and armored", async (size) => {
    const plaintext = randomBytes(size);
    const file = encryptToX25519(plaintext, [alice.recipient], [{ type: "tuco-webhook", args: ["6650f1c2a1b2c3d4e5f60718"] }]);
    const binary = join(dir, `p${size}.age`);
    await writeFile(binary, file);
    const opened = ageOpen(binary, alice.identityFile);
    expect(opened.ok ? Buffer.compare(opened.bytes, plaintext) : opened.stderr).toBe(0);
    expect(Buffer.compare(Buffer.from(await libraryOpen(file, alice.identity)), plaintext)).toBe(0);

    const armored = armor(file);
    expect(armored.split("\n").every((l) => l.length <= 64)).toBe(true);
    const armoredFile = join(dir, `p${size}.age.txt`);
    await writeFile(armoredFile, armored);
    const fromArmor = ageOpen(armoredFile, alice.identityFile);
    expect(fromArmor.ok ? Buffer.compare(fromArmor.bytes, plaintext) : fromArmor.stderr).toBe(0);
    expect(Buffer.compare(unarmor(armored)!, file)).toBe(0);
  });

  test("to several recipients, each opens it alone", async () => {
    const plaintext = Buffer.from("the webhook secret");
    const file = join(dir, "two.age");
    await writeFile(file, encryptToX25519(plaintext, [alice.recipient, bob.recipient]));
    for (const who of [alice, bob]) {
      const opened = ageOpen(file, who.identityFile);
      expect(opened.ok ? opened.bytes.toString() : opened.stderr).toBe("the webhook secret");
    }
  });

  test("a flipped bit in the header or in the payload is refused by age and by age-encryption", async () => {
    const file = encryptToX25519(Buffer.from("the webhook secret"), [alice.recipient]);
    const headerEnd = file.indexOf("\n---") + 1;
    // In the recipient stanza's wrapped file key (base64 text: one letter swapped for another
    // base64 letter, so the header still parses), no identity unwraps it; in the payload (binary:
    // one bit flipped), its chunk's tag fails.
    const otherBase64Letter = (byte: number) => (byte === 0x41 /* A */ ? 0x42 /* B */ : 0x41);
    const flips: [number, (byte: number) => number, RegExp][] = [
      [headerEnd - 5, otherBase64Letter, /no identity matched any of the file's recipients/],
      [file.length - 3, (byte) => byte ^ 0x01, /invalid tag/],
    ];
    for (const [at, tamper, refusal] of flips) {
      const tampered = Buffer.from(file);
      tampered[at] = tamper(tampered[at]!);
      const path = join(dir, `tampered-${at}.age`);
      await writeFile(path, tampered);
      expect(ageOpen(path, alice.identityFile).ok).toBe(false);
      await expect(libraryOpen(tampered, alice.identity)).rejects.toThrow(refusal);
    }
  });

  test("unarmor refuses text that is not an armored age file", () => {
    expect(unarmor("hello")).toBeUndefined();
    expect(unarmor("-----BEGIN AGE ENCRYPTED FILE-----\n!!!!\n-----END AGE ENCRYPTED FILE-----\n")).toBeUndefined();
  });
});
