/**
 * The secret scanner must be able to fail: leaks are planted on purpose, in every encoding it
 * claims to catch, in strings, files and nested directories, and each must be found where it is.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { encodingsOf, expectNoLeaks, scanForLeaks, type Needle } from "./secret-scan";

// Shaped like a Tuco secret (32 random bytes, base64), with "+", "/" and "=" forced in so every encoding differs from plain text.
const SECRET = `${randomBytes(29).toString("base64").slice(0, 38)}+/a/A=`;
const API_KEY = `tuco_sk_scan_${randomBytes(8).toString("hex")}`;
const needles: Needle[] = [
  { label: "webhook secret", value: SECRET },
  { label: "API key", value: API_KEY },
];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tuco-scan-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Leaks as code really produces them, each with the encoding the scanner must report. */
const PLANTED: [string, (s: string) => string | Buffer, RegExp][] = [
  ["a template string", (s) => `secret=${s}\n`, /^plain$/],
  ["JSON.stringify of a JSON string", (s) => JSON.stringify({ env: JSON.stringify({ secret: s }) }), /^plain$/],
  ["a JSON encoder that escapes slashes", (s) => `{"secret":"${s.replace(/\//g, "\\/")}"}`, /^JSON-escaped with \\\/$/],
  ["a URL query string", (s) => `https://example.com/?secret=${encodeURIComponent(s)}`, /^URL-encoded$/],
  ["form encoding", (s) => new URLSearchParams({ secret: s }).toString(), /^(URL|form)-encoded$/],
  ["Buffer#toString('hex')", (s) => `hex: ${Buffer.from(s).toString("hex")}`, /^hex$/],
  ["upper-case hex", (s) => Buffer.from(s).toString("hex").toUpperCase(), /^HEX$/],
  ["util.inspect of a Buffer", (s) => inspect(Buffer.from(s)), /^hex bytes \(Buffer inspect\)$/],
  ["base64 of the secret alone", (s) => Buffer.from(s).toString("base64"), /^base64 \(byte offset 0 mod 3\)$/],
  ["base64 of a JSON document that holds it", (s) => Buffer.from(JSON.stringify({ secret: s })).toString("base64"), /^base64 \(byte offset \d mod 3\)$/],
  ["base64url of a JSON document that holds it", (s) => Buffer.from(JSON.stringify({ s })).toString("base64url"), /^base64(url)? \(byte offset \d mod 3\)$/],
  ["the secret's decoded bytes in a binary file", (s) => Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(s, "base64"), Buffer.from([255])]), /^base64-decoded bytes$/],
];

describe("the secret scanner", () => {
  it.each(PLANTED)("finds a secret leaked through %s and names the artifact, the encoding and the byte offset", (_how, leak, encoding) => {
    const text = leak(SECRET);
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
    const report = scanForLeaks(needles, [{ name: "planted", text: bytes }]);
    const found = report.leaks.filter((l) => l.needle === "webhook secret");
    expect(found.length, JSON.stringify(report.leaks)).toBeGreaterThan(0);
    expect(found.map((l) => l.encoding).some((e) => encoding.test(e)), found.map((l) => l.encoding).join(", ")).toBe(true);
    for (const l of found) {
      expect(l.artifact).toBe("planted");
      expect(l.offset).toBeGreaterThanOrEqual(0);
      expect(l.offset).toBeLessThan(bytes.length);
    }
  });

  it("finds a secret with quotes, backslashes and HTML characters as Node and Go escape it in JSON", () => {
    const password = `pa"ss\\<wo>rd&${randomBytes(4).toString("hex")}`;
    const goJson = JSON.stringify({ p: password }).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
    const cases: [string, RegExp][] = [
      [JSON.stringify({ p: password }), /^JSON-escaped$/],
      [JSON.stringify({ env: JSON.stringify({ p: password }) }), /^JSON-escaped twice$/],
      [goJson, /^Go JSON \(HTML-safe\)$/],
    ];
    for (const [text, encoding] of cases) {
      const found = scanForLeaks([{ label: "password", value: password }], [{ name: "json", text }]).leaks;
      expect(found.map((l) => l.encoding), text).toEqual([expect.stringMatching(encoding)]);
    }
  });

  it("finds base64 of a secret embedded at each of the three byte alignments", () => {
    for (const prefix of ["", "x", "xy", "xyz"]) {
      const encoded = Buffer.from(`${prefix}${SECRET}!`).toString("base64");
      expect(scanForLeaks(needles, [{ name: prefix, text: encoded }]).leaks.length, `prefix ${JSON.stringify(prefix)}`).toBeGreaterThan(0);
    }
  });

  it("walks a directory tree, reports the file and the exact byte offset, and skips what it is told to", () => {
    const tree = path.join(dir, "tree");
    fs.mkdirSync(path.join(tree, "a", "b"), { recursive: true });
    fs.writeFileSync(path.join(tree, "clean.json"), JSON.stringify({ hello: "world" }));
    const head = "é".repeat(5) + "state: ";
    fs.writeFileSync(path.join(tree, "a", "b", "terraform.tfstate"), `${head}${API_KEY}\n`);
    fs.writeFileSync(path.join(tree, "a", "skipped.log"), SECRET);
    const report = scanForLeaks(needles, [{ name: "ws", dir: tree, skip: (p) => p.endsWith(".log") }]);
    expect(report.artifacts).toEqual(["ws/a/b/terraform.tfstate", "ws/clean.json"]);
    expect(report.leaks).toEqual([
      { artifact: "ws/a/b/terraform.tfstate", needle: "API key", encoding: "plain", offset: Buffer.byteLength(head), context: expect.stringMatching(/state: \*+\.$/) },
    ]);
  });

  it("fails with a message that names the artifact and offset but never shows the secret", () => {
    const file = path.join(dir, "leaky.txt");
    fs.writeFileSync(file, `before ${SECRET} after`);
    let message = "";
    try {
      expectNoLeaks(needles, [{ name: "clean", text: "nothing here" }, { name: "leaky file", file }]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^1 secret leak in 2 artifacts scanned:\nwebhook secret \(plain\) in leaky file at byte 7: "before \*+ after"$/);
    for (const { bytes } of encodingsOf(SECRET)) expect(Buffer.from(message).includes(bytes)).toBe(false);
  });

  it("passes clean artifacts and reports everything it scanned", () => {
    const report = expectNoLeaks(needles, [{ name: "a", text: "no secrets" }, { name: "b", text: Buffer.from([0, 1, 2]) }]);
    expect(report).toEqual({ artifacts: ["a", "b"], bytes: 13, leaks: [] });
  });

  it("rejects a needle so short it would match by chance", () => {
    expect(() => scanForLeaks([{ label: "short", value: "abc" }], [])).toThrow(/3 characters would match by chance/);
  });
});
