/**
 * The layout's promises, read from the source tree itself: dependencies point one way
 * (front ends -> webhook/ -> api/), no CLI command imports another, the CLI reads cdk/ only
 * through the synthesized-stack reader, the constructs shared by cdktf and cdktn (cdk/) load
 * neither library, each of their entry points reaches only its own, and no entry point exports
 * the internals in src/private.
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

/**
 * One import of a file: its target (as in GRAPH), whether that is a file of src/ (a relative
 * import: a package may share a folder's name, as cdktn does), and whether the compiled JavaScript
 * drops it (`import type`, `export type`, only `type` names, `typeof import(...)`).
 */
interface Edge {
  readonly target: string;
  readonly inSrc: boolean;
  readonly typeOnly: boolean;
}

/** Every file under src/ with each of its imports, runtime or type-only. */
const EDGES: ReadonlyMap<string, readonly Edge[]> = new Map(
  sourceFiles(SRC).map((file) => {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const edges: Edge[] = [];
    const add = (specifier: ts.Node | undefined, typeOnly: boolean) => {
      if (!specifier || !ts.isStringLiteralLike(specifier)) return;
      const s = specifier.text;
      const inSrc = s.startsWith(".");
      edges.push({ target: inSrc ? relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, "") : s, inSrc, typeOnly });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node)) {
        const clause = node.importClause;
        const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
        add(node.moduleSpecifier, !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly))));
      } else if (ts.isExportDeclaration(node)) {
        const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
        add(node.moduleSpecifier, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
        add(node.moduleReference.expression, node.isTypeOnly);
      } else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require"))) {
        add(node.arguments[0], false);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        add(node.argument.literal, true);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    return [relative(SRC, file), edges] as const;
  }),
);

/** The source file an import of src/ names (`cdk/constructs` -> `cdk/constructs.ts` or `cdk/constructs/index.ts`). */
function fileOf(edge: Edge): string {
  const file = [`${edge.target}.ts`, `${edge.target}/index.ts`].find((f) => EDGES.has(f));
  if (file === undefined) throw new Error(`the import of ${edge.target} names no file under src/`);
  return file;
}

/** Every package `entry` reaches through src/, following `follow` edges, with the first path found to each. */
function packagesReached(entry: string, follow: (edge: Edge) => boolean): Map<string, string> {
  const reached = new Map<string, string>();
  const seen = new Set([entry]);
  const queue: [string, string][] = [[entry, entry]];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [file, via] = next;
    for (const edge of (EDGES.get(file) ?? []).filter(follow)) {
      if (!edge.inSrc) {
        if (!reached.has(edge.target)) reached.set(edge.target, `${via} -> ${edge.target}`);
        continue;
      }
      const inside = fileOf(edge);
      if (!seen.has(inside)) {
        seen.add(inside);
        queue.push([inside, `${via} -> ${inside}`]);
      }
    }
  }
  return reached;
}

/** A front-end framework package (never a path inside src/, which has no leading package name). */
const FRAMEWORK = /^(@pulumi\/|@cdktf\/|@cdktn\/|@grpc\/)|^(cdktf|cdktn|constructs)$/;

const importsOf = (prefix: string) => [...GRAPH].filter(([file]) => file.startsWith(prefix));
const violations = (prefix: string, bad: (target: string, file: string) => boolean) =>
  importsOf(prefix).flatMap(([file, targets]) => targets.filter((t) => bad(t, file)).map((t) => `${file} -> ${t}`));

describe("the source layout", () => {
  test("reads a source tree of the expected shape", () => {
    for (const dir of ["api/", "webhook/", "cli/commands/", "cdk/", "cdktf/", "cdktn/", "pulumi/", "emulator/", "secrets/", "receiver/", "private/"]) {
      expect(importsOf(dir).length, dir).toBeGreaterThan(0);
    }
  });

  test("api/ and webhook/ import neither a front-end framework nor a front end", () => {
    const framework = (t: string) => FRAMEWORK.test(t);
    const frontEnd = (t: string) => /^(cli|cdk|cdktf|cdktn|pulumi|demo)\//.test(t);
    expect(violations("api/", (t) => framework(t) || frontEnd(t) || t.startsWith("webhook/"))).toEqual([]);
    expect(violations("webhook/", (t) => framework(t) || frontEnd(t))).toEqual([]);
  });

  test("no CLI command imports another, and the CLI reads cdk/ only through the synthesized-stack reader", () => {
    expect(violations("cli/commands/", (t, file) => t.startsWith("cli/commands/") && t !== file.replace(/\.ts$/, ""))).toEqual([]);
    expect(violations("cli/", (t) => /^cdk(tf|tn)?\//.test(t) && t !== "cdk/synthesized-stack")).toEqual([]);
    expect(violations("cli/", (t) => FRAMEWORK.test(t) || t.startsWith("pulumi/"))).toEqual([]);
  });

  test("what the construct writes and drift reads stays free of cdktf and cdktn", () => {
    for (const file of ["cdk/contract.ts", "cdk/synthesized-stack.ts"]) {
      expect(GRAPH.get(file)?.filter((t) => FRAMEWORK.test(t)), file).toEqual([]);
    }
  });

  test("the constructs shared by cdktf and cdktn (cdk/) load neither library, nor either entry point, at runtime", () => {
    const library = /^(cdktf|cdktn)$|^@cdkt[fn]\//;
    const runtime = [...EDGES].filter(([file]) => file.startsWith("cdk/")).flatMap(([file, edges]) => edges.filter((e) => !e.typeOnly).map((e) => ({ file, ...e })));
    expect(runtime.length).toBeGreaterThan(5);
    const bad = runtime.filter((e) => (e.inSrc ? /^cdkt[fn]\//.test(e.target) : library.test(e.target)));
    expect(bad.map((e) => `${e.file} -> ${e.target}`)).toEqual([]);
  });

  test("tuco-webhooks/cdktn reaches no cdktf, even in its type declarations, and tuco-webhooks/cdktf no cdktn; neither reaches Pulumi", () => {
    const all = () => true;
    const cdktn = packagesReached("cdktn/index.ts", all);
    const cdktf = packagesReached("cdktf/index.ts", all);
    // Each reaches its own library: the walk sees the imports it means to forbid.
    expect(cdktn.has("cdktn")).toBe(true);
    expect(cdktf.has("cdktf")).toBe(true);
    expect([...cdktn].filter(([p]) => /^cdktf$|^@cdktf\/|^@pulumi\//.test(p)).map(([, via]) => via)).toEqual([]);
    expect([...cdktf].filter(([p]) => /^cdktn$|^@cdktn\/|^@pulumi\//.test(p)).map(([, via]) => via)).toEqual([]);
  });

  test("no entry point exports src/private", () => {
    const entries = [...GRAPH].filter(([file]) => file.endsWith("index.ts"));
    expect(entries.length).toBeGreaterThan(3);
    expect(entries.flatMap(([file, targets]) => targets.filter((t) => t.startsWith("private/")).map((t) => `${file} -> ${t}`))).toEqual([]);
  });
});
