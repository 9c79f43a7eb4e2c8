import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openSealedSecret, parseIdentityFile, parseRecipients, sealSecret, writeSealedFile } from "../../src/secrets";
import { ageDecrypt, ageEncrypt, ageKeypair, requireAgeBinary, x25519Recipient } from "../helpers/age";

let dir: string;
beforeAll(async () => {
  requireAgeBinary();
  dir = await mkdtemp(join(tmpdir(), "tuco-secrets-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sealSecret", () => {
  test("seals a secret that openSealedSecret and the real age binary both open", async () => {
    const alice = ageKeypair();
    const armored = await sealSecret("whsec_round_trip", [alice.recipient]);
    expect(armored.startsWith("-----BEGIN AGE ENCRYPTED FILE-----")).toBe(true);
    expect(armored).not.toContain("whsec_round_trip");
    expect(await openSealedSecret(armored, parseIdentityFile(alice.identity))).toBe("whsec_round_trip");
    const path = await writeSealedFile(join(dir, "a", "b", "hook.age"), armored);
    await writeIdentity(join(dir, "key.txt"), alice.identity);
    expect(ageDecrypt(path, join(dir, "key.txt"))).toBe("whsec_round_trip");
  });

  test("seals to several recipients, each of which can open it alone", async () => {
    const a = ageKeypair();
    const b = ageKeypair();
    const armored = await sealSecret("s3cret", [a.recipient, b.recipient]);
    expect(await openSealedSecret(armored, parseIdentityFile(a.identity))).toBe("s3cret");
    expect(await openSealedSecret(armored, parseIdentityFile(b.identity))).toBe("s3cret");
  });

  test("rejects an empty recipient list with a message that says how to configure recipients", async () => {
    await expect(sealSecret("x", [])).rejects.toThrow(/age-keygen/);
  });

  test("rejects a recipient with a broken checksum, naming it", () => {
    const { recipient } = ageKeypair();
    const broken = recipient.slice(0, -1) + (recipient.endsWith("q") ? "p" : "q");
    expect(() => parseRecipients([broken])).toThrow(new RegExp(`seal\\.recipients\\[0\\] "${broken}" is not a valid X25519 age recipient`));
  });

  test("rejects a secret key given as a recipient without echoing it", () => {
    const { identity } = ageKeypair();
    const key = parseIdentityFile(identity)[0];
    let message = "";
    try {
      parseRecipients([key]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/SECRET key/);
    expect(message).not.toContain(key);
  });

  test("rejects post-quantum, ssh and garbage recipients", () => {
    expect(() => parseRecipients(["ssh-ed25519 AAAA"])).toThrow(/not an X25519 age recipient/);
    expect(() => parseRecipients(["age1pq1abc"])).toThrow(/not an X25519 age recipient/);
    expect(() => parseRecipients(["hello"])).toThrow(/not a valid X25519 age recipient/);
    expect(() => parseRecipients("nope" as unknown as string[])).toThrow(/not a valid/);
  });

  test("accepts every X25519 key age-keygen makes, also those whose data starts like the post-quantum and tag prefixes", async () => {
    // About one key in a thousand starts "age1pq" and one in 32 000 "age1tag": real age takes them as X25519 recipients.
    for (const start of ["pq", "tag", "tagpq", "pqq"]) {
      const recipient = x25519Recipient(start);
      expect(recipient.startsWith(`age1${start}`)).toBe(true);
      expect(parseRecipients([recipient]), recipient).toEqual([recipient]);
      expect(ageEncrypt("whsec_prefix", [recipient], join(dir, `${start}.age`))).toBe(join(dir, `${start}.age`));
      expect(await sealSecret("whsec_sealed", [recipient])).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    }
    // And a real key pair of that kind seals and opens: drawn until one turns up (about a thousand draws).
    const age = await import("age-encryption");
    let pair: { identity: string; recipient: string } | undefined;
    for (let i = 0; i < 20_000 && !pair; i++) {
      const identity = await age.generateX25519Identity();
      const recipient = await age.identityToRecipient(identity);
      if (recipient.startsWith("age1pq")) pair = { identity, recipient };
    }
    expect(pair, "no age1pq key in 20 000 draws").toBeDefined();
    const path = await writeSealedFile(join(dir, "pq-sealed.age"), await sealSecret("whsec_pq", [pair!.recipient]));
    await writeIdentity(join(dir, "pq-key.txt"), pair!.identity);
    expect(ageDecrypt(path, join(dir, "pq-key.txt"))).toBe("whsec_pq");
  });

  test("parses a recipients file with comments, commas and blank lines and drops duplicates", () => {
    const a = ageKeypair().recipient;
    const b = ageKeypair().recipient;
    expect(parseRecipients(`# team\n${a}, ${b}\n\n${a}\n`)).toEqual([a, b]);
  });
});

describe("openSealedSecret", () => {
  test("opens the binary form age -e writes", async () => {
    const alice = ageKeypair();
    const binary = await readFile(ageEncrypt("from-age-cli", [alice.recipient], join(dir, "binary.age")));
    expect(await openSealedSecret(binary, parseIdentityFile(alice.identity))).toBe("from-age-cli");
  });

  test("fails with a clear message when no identity matches", async () => {
    const armored = await sealSecret("x", [ageKeypair().recipient]);
    await expect(openSealedSecret(armored, parseIdentityFile(ageKeypair().identity))).rejects.toThrow(/None of the given identities/);
  });

  test("fails on a file that is not age", async () => {
    await expect(openSealedSecret("hello", parseIdentityFile(ageKeypair().identity))).rejects.toThrow(/Not an age-encrypted file/);
  });

  test("rejects an identity file without keys", () => {
    expect(() => parseIdentityFile("# only a comment\n")).toThrow(/no AGE-SECRET-KEY-1/);
  });
});

describe("writeSealedFile", () => {
  test("writes with mode 0600, creates parent directories and leaves no temporary file", async () => {
    const target = join(dir, "deep", "er", "x.age");
    await writeSealedFile(target, "one");
    await writeSealedFile(target, "two");
    expect(await readFile(target, "utf8")).toBe("two");
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, "deep", "er"))).toEqual(["x.age"]);
  });

  test("fails when the target is a directory and leaves nothing behind", async () => {
    const target = join(dir, "isdir");
    await writeSealedFile(join(target, "inner"), "x");
    await expect(writeSealedFile(target, "y")).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

async function writeIdentity(path: string, text: string): Promise<void> {
  const { writeFile } = await import("node:fs/promises");
  await writeFile(path, text, { mode: 0o600 });
}
