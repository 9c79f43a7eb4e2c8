import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ageDecrypt, ageEncrypt, ageKeypair, requireAgeBinary } from "../helpers/age";
import { requireBuiltCli, runCli } from "../helpers/process";

let dir: string;
beforeAll(async () => {
  requireBuiltCli();
  requireAgeBinary();
  dir = await mkdtemp(join(tmpdir(), "tuco-cli-secret-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("secret", () => {
  test("seals stdin to several recipients; the real age binary and secret open both open it", async () => {
    const a = ageKeypair(dir, "a.txt");
    const b = ageKeypair(dir, "b.txt");
    const secret = "whsec_stdin_only_0123456789";
    const run = await runCli(["secret", "seal", "--recipient", a.recipient, "--recipient", b.recipient], {}, { stdin: secret });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    expect(run.stdout + run.stderr + run.argv.join(" ")).not.toContain(secret);
    const file = join(dir, "s.age");
    await writeFile(file, run.stdout);
    expect(ageDecrypt(file, b.identityFile)).toBe(secret);

    const out = join(dir, "out", "secret.txt");
    const opened = await runCli(["secret", "open", file, "--identity", a.identityFile, "--out", out]);
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdout).toBe("");
    expect(await readFile(out, "utf8")).toBe(secret);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });

  test("opens a binary file the age CLI encrypted", async () => {
    const a = ageKeypair(dir, "bin-key.txt");
    const file = ageEncrypt("from-age", [a.recipient], join(dir, "bin.age"));
    const opened = await runCli(["secret", "open", file, "--identity", a.identityFile]);
    expect(opened.stdout).toBe("from-age");
  });

  test("fails to open with an identity the file was not sealed to", async () => {
    const a = ageKeypair();
    const sealed = await runCli(["secret", "seal", "--recipient", a.recipient], {}, { stdin: "x-secret-x" });
    const file = join(dir, "other.age");
    await writeFile(file, sealed.stdout);
    const wrong = ageKeypair(dir, "wrong.txt");
    const run = await runCli(["secret", "open", file, "--identity", wrong.identityFile]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/None of the given identities can open this file/);
    expect(run.stdout).toBe("");
  });

  test("rejects missing recipients, empty stdin, a missing identity and unknown subcommands", async () => {
    const cases: [string[], string | undefined, RegExp][] = [
      [["secret", "seal"], "x", /--recipient is empty: .*age-keygen/],
      [["secret", "seal", "--recipient", ageKeypair().recipient], "", /stdin was empty/],
      [["secret", "open", join(dir, "nothing.age")], undefined, /--identity is missing/],
      [["secret", "open", "--identity", "k.txt"], undefined, /secret open takes one sealed FILE, got 0/],
      [["secret", "rotate"], undefined, /unknown subcommand "rotate"/],
    ];
    for (const [args, stdin, message] of cases) {
      const run = await runCli(args, {}, { stdin });
      expect(run.code, args.join(" ")).toBe(1);
      expect(run.stderr).toMatch(message);
    }
  });

  test("prints help for every command with --help and exits 0", async () => {
    for (const name of ["apply", "delete", "prune", "list", "secret"]) {
      const run = await runCli([name, "--help"]);
      expect(run.code, name).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: tuco-webhooks ${name}`));
    }
  });
});
