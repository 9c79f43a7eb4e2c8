/**
 * The layout's promises, read from the source tree itself: dependencies point one way
 * (front ends -> webhook/ -> api/), no CLI command imports another, the CLI reads cdktf/ only
 * through the synthesized-stack reader, and no entry point exports the internals in src/private.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";

const SRC = resolve(__dirname, "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : name.endsWith(".ts") ? [full] : [];
  });
}

/** Every file under src/ with what it imports (static imports, re-exports, `require(...)` and `import(...)`): package names, or paths relative to src/. */
const GRAPH: ReadonlyMap<string, readonly string[]> = new Map(
  sourceFiles(SRC).map((file) => {
    const text = readFileSync(file, "utf8");
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
    for (const m of text.matchAll(/require\("([^"]+)"\)/g)) specifiers.push(m[1]);
    const targets = specifiers.map((s) => (s.startsWith(".") ? relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, "") : s));
    return [relative(SRC, file), targets] as const;
  }),
);

/** A front-end framework package (never a path inside src/, which has no leading package name). */
const FRAMEWORK = /^(@pulumi\/|@cdktf\/|@cdktn\/|@grpc\/)|^(cdktf|cdktn|constructs)$/;

const importsOf = (prefix: string) => [...GRAPH].filter(([file]) => file.startsWith(prefix));
const violations = (prefix: string, bad: (target: string, file: string) => boolean) =>
  importsOf(prefix).flatMap(([file, targets]) => targets.filter((t) => bad(t, file)).map((t) => `${file} -> ${t}`));

describe("the source layout", () => {
  test("reads a source tree of the expected shape", () => {
    for (const dir of ["api/", "webhook/", "cli/commands/", "cdktf/", "pulumi/", "emulator/", "secrets/", "receiver/", "private/"]) {
      expect(importsOf(dir).length, dir).toBeGreaterThan(0);
    }
  });

  test("api/ and webhook/ import neither a front-end framework nor a front end", () => {
    const framework = (t: string) => FRAMEWORK.test(t);
    const frontEnd = (t: string) => /^(cli|cdktf|pulumi|demo)\//.test(t);
    expect(violations("api/", (t) => framework(t) || frontEnd(t) || t.startsWith("webhook/"))).toEqual([]);
    expect(violations("webhook/", (t) => framework(t) || frontEnd(t))).toEqual([]);
  });

  test("no CLI command imports another, and the CLI reads cdktf/ only through the synthesized-stack reader", () => {
    expect(violations("cli/commands/", (t, file) => t.startsWith("cli/commands/") && t !== file.replace(/\.ts$/, ""))).toEqual([]);
    expect(violations("cli/", (t) => t.startsWith("cdktf/") && t !== "cdktf/synthesized-stack")).toEqual([]);
    expect(violations("cli/", (t) => FRAMEWORK.test(t) || t.startsWith("pulumi/"))).toEqual([]);
  });

  test("what the construct writes and drift reads stays free of cdktf", () => {
    for (const file of ["cdktf/contract.ts", "cdktf/synthesized-stack.ts"]) {
      expect(GRAPH.get(file)?.filter((t) => FRAMEWORK.test(t)), file).toEqual([]);
    }
  });

  test("no entry point exports src/private", () => {
    const entries = [...GRAPH].filter(([file]) => file.endsWith("index.ts"));
    expect(entries.length).toBeGreaterThan(3);
    expect(entries.flatMap(([file, targets]) => targets.filter((t) => t.startsWith("private/")).map((t) => `${file} -> ${t}`))).toEqual([]);
  });
});
