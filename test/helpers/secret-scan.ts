/**
 * Scans artifacts (strings, files, whole directory trees) for secrets: the plain value and the
 * encodings a leak would realistically take (JSON-escaped, base64 at any byte alignment, hex,
 * URL-encoded, ...). A failure names the artifact, the secret's label, the encoding and the byte
 * offset, and shows the surrounding bytes with every match masked: the scanner never prints what
 * it looks for.
 *
 *   const report = expectNoLeaks([{ label: "API key", value: key }], [
 *     { name: "terraform stdout", text: run.stdout },
 *     { name: "workspace", dir: ws.root, skip: (p) => p.endsWith(".tmp") },
 *   ]);
 *   expect(report.artifacts).toContain("workspace/terraform.tfstate");
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** A value that must not appear; `label` is what failure messages show instead of the value. */
export interface Needle {
  readonly label: string;
  readonly value: string;
}

/** Something to scan: a string or bytes, one file, or every regular file under a directory. */
export type Artifact =
  | { readonly name: string; readonly text: string | Uint8Array }
  | { readonly name: string; readonly file: string }
  | { readonly name: string; readonly dir: string; readonly skip?: (absolutePath: string) => boolean };

/** One occurrence of a needle. `offset` is a byte offset into the artifact (UTF-8 for strings). */
export interface Leak {
  readonly artifact: string;
  readonly needle: string;
  readonly encoding: string;
  readonly offset: number;
  /** Up to 24 bytes either side, every byte of every match replaced by `*`. */
  readonly context: string;
}

/** What a scan looked at, so a test can prove its coverage. */
export interface ScanReport {
  /** Every artifact scanned; files under a directory as `<name>/<relative path>`. */
  readonly artifacts: string[];
  readonly bytes: number;
  readonly leaks: Leak[];
}

/** The shortest value worth scanning for: shorter ones match by chance. */
export const MIN_NEEDLE_LENGTH = 8;

/**
 * Every form of `value` a leak would plausibly take, as bytes, de-duplicated. Base64 forms cover
 * the three byte alignments (the secret inside a longer encoded text) and keep only the characters
 * that depend on the secret's bytes alone.
 */
export function encodingsOf(value: string): { encoding: string; bytes: Buffer }[] {
  if (value.length < MIN_NEEDLE_LENGTH) throw new Error(`a needle of ${value.length} characters would match by chance: scan for values of ${MIN_NEEDLE_LENGTH}+ characters`);
  const raw = Buffer.from(value, "utf8");
  const json = JSON.stringify(value).slice(1, -1);
  const forms: [string, string | Buffer][] = [
    ["plain", raw],
    ["JSON-escaped", json],
    ["JSON-escaped with \\/", json.replace(/\//g, "\\/")],
    ["JSON-escaped twice", JSON.stringify(JSON.stringify(value)).slice(2, -2)],
    ["Go JSON (HTML-safe)", json.replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026")],
    ["URL-encoded", encodeURIComponent(value)],
    ["URL-encoded, lowercase hex", encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ["form-encoded", new URLSearchParams({ v: value }).toString().slice(2)],
    ["hex", raw.toString("hex")],
    ["HEX", raw.toString("hex").toUpperCase()],
    ["hex bytes (Buffer inspect)", [...raw].map((b) => b.toString(16).padStart(2, "0")).join(" ")],
  ];
  for (const [alphabet, name] of [["base64", "base64"], ["base64url", "base64url"]] as const) {
    for (let shift = 0; shift < 3; shift++) {
      const encoded = Buffer.concat([Buffer.alloc(shift), raw]).toString(alphabet);
      // Characters [ceil(8*shift/6), floor(8*(shift+n)/6)) encode only the value's own bits.
      const start = Math.ceil((8 * shift) / 6);
      const end = Math.floor((8 * (shift + raw.length)) / 6);
      forms.push([`${name} (byte offset ${shift} mod 3)`, encoded.slice(start, end)]);
    }
  }
  // A base64 secret (Tuco's are 32 random bytes, base64) may leak as its decoded bytes.
  const decoded = Buffer.from(value, "base64");
  if (decoded.length >= MIN_NEEDLE_LENGTH && decoded.toString("base64").replace(/=+$/, "") === value.replace(/=+$/, "")) {
    forms.push(["base64-decoded bytes", decoded], ["base64-decoded bytes as hex", decoded.toString("hex")]);
  }
  const seen = new Set<string>();
  const out: { encoding: string; bytes: Buffer }[] = [];
  for (const [encoding, form] of forms) {
    const bytes = Buffer.isBuffer(form) ? form : Buffer.from(form, "utf8");
    const key = bytes.toString("hex");
    if (bytes.length === 0 || seen.has(key)) continue;
    seen.add(key);
    out.push({ encoding, bytes });
  }
  return out;
}

function* expand(artifact: Artifact): Generator<{ name: string; bytes: Buffer }> {
  if ("text" in artifact) {
    yield { name: artifact.name, bytes: typeof artifact.text === "string" ? Buffer.from(artifact.text, "utf8") : Buffer.from(artifact.text) };
  } else if ("file" in artifact) {
    yield { name: artifact.name, bytes: fs.readFileSync(artifact.file) };
  } else {
    const walk = function* (dir: string): Generator<{ name: string; bytes: Buffer }> {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, entry.name);
        if (artifact.skip?.(full)) continue;
        if (entry.isDirectory()) yield* walk(full);
        else if (entry.isFile()) yield { name: `${artifact.name}/${path.relative(artifact.dir, full)}`, bytes: fs.readFileSync(full) };
      }
    };
    yield* walk(artifact.dir);
  }
}

function maskedContext(bytes: Buffer, offset: number, length: number, ranges: [number, number][]): string {
  const from = Math.max(0, offset - 24);
  const to = Math.min(bytes.length, offset + length + 24);
  let text = "";
  for (let i = from; i < to; i++) {
    if (ranges.some(([s, e]) => i >= s && i < e)) text += "*";
    else text += bytes[i] >= 0x20 && bytes[i] < 0x7f ? String.fromCharCode(bytes[i]) : ".";
  }
  return text;
}

/** Every occurrence of every needle, in every encoding, in every artifact. */
export function scanForLeaks(needles: readonly Needle[], artifacts: readonly Artifact[]): ScanReport {
  const forms = needles.map((n) => ({ label: n.label, encodings: encodingsOf(n.value) }));
  const names: string[] = [];
  const leaks: Leak[] = [];
  let total = 0;
  for (const artifact of artifacts) {
    for (const { name, bytes } of expand(artifact)) {
      names.push(name);
      total += bytes.length;
      const found: { needle: string; encoding: string; offset: number; length: number }[] = [];
      for (const { label, encodings } of forms) {
        for (const { encoding, bytes: needle } of encodings) {
          for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
            found.push({ needle: label, encoding, offset: at, length: needle.length });
          }
        }
      }
      const ranges = found.map((f): [number, number] => [f.offset, f.offset + f.length]);
      for (const f of found) {
        leaks.push({ artifact: name, needle: f.needle, encoding: f.encoding, offset: f.offset, context: maskedContext(bytes, f.offset, f.length, ranges) });
      }
    }
  }
  return { artifacts: names, bytes: total, leaks };
}

/** One line per leak, without the secret. */
export function describeLeaks(leaks: readonly Leak[]): string {
  return leaks.map((l) => `${l.needle} (${l.encoding}) in ${l.artifact} at byte ${l.offset}: ${JSON.stringify(l.context)}`).join("\n");
}

/** Scans and throws, naming every leak's artifact and offset, when any needle is found. */
export function expectNoLeaks(needles: readonly Needle[], artifacts: readonly Artifact[]): ScanReport {
  const report = scanForLeaks(needles, artifacts);
  if (report.leaks.length > 0) {
    const shown = report.leaks.slice(0, 20);
    throw new Error(
      `${report.leaks.length} secret leak${report.leaks.length > 1 ? "s" : ""} in ${report.artifacts.length} artifacts scanned:\n${describeLeaks(shown)}` +
        (report.leaks.length > shown.length ? `\n... and ${report.leaks.length - shown.length} more` : ""),
    );
  }
  return report;
}
