// Bundles the CLI, the program the package's bin and every provisioner run, into dist/cli/, so a
// provisioner's process reads three files instead of some fifty and its start-up is its work
// (bench/results.md has what each part saves):
//   main.js              argument dispatch and usage: all that `--help` or an unknown command reads;
//   commands/<name>.js   one file per command, with the code it uses (each reads only its own);
//   undici.js            the parts of undici the API client uses (src/api/undici.ts), read by the
//                        first request, never by a rejected spec. undici's own uses of node:assert,
//                        node:http and node:http2, its fetch body (for FormData bodies) and its HTTP/2
//                        connection (never negotiated: no allowH2) get the small stand-ins in
//                        scripts/cli-stubs/ (what undici reads of them; the fault and secret matrices
//                        run on this file).
// age-encryption (used only to open sealed files) stays the installed package. Not minified:
// stack traces stay readable.
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const stub = (name) => fileURLToPath(new URL(`./cli-stubs/${name}.js`, import.meta.url));
const common = { bundle: true, platform: "node", target: "node20.19", format: "cjs", legalComments: "none", logLevel: "warning", external: ["undici", "age-encryption"] };

/** Requires that cross from one output file to another: stay requires, of the file the other build writes. */
const betweenFiles = {
  name: "between-files",
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/[a-z]+$/ }, (args) => (args.importer.endsWith("/src/cli/run.ts") ? { path: `${args.path}.js`, external: true } : undefined));
    b.onResolve({ filter: /^\.\/undici$/ }, (args) => (args.importer.endsWith("/src/api/transport.ts") ? { path: "../undici.js", external: true } : undefined));
  },
};

const commands = readdirSync("src/cli/commands").filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3));
await build({ ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli/main.js", plugins: [betweenFiles] });
await build({ ...common, entryPoints: Object.fromEntries(commands.map((c) => [c, `src/cli/commands/${c}.ts`])), outdir: "dist/cli/commands", plugins: [betweenFiles] });
/** undici's clients require its fetch body only for FormData and Blob bodies, and client-h2 only for a TLS connection that negotiated h2: stand-ins instead. */
const noFetchBody = {
  name: "no-fetch-body",
  setup(b) {
    b.onResolve({ filter: /\/web\/fetch\/body\.js$/ }, (args) => (/undici\/lib\/dispatcher\//.test(args.importer) ? { path: stub("undici-fetch-body") } : undefined));
    b.onResolve({ filter: /^\.\/client-h2\.js$/ }, (args) => (/undici\/lib\/dispatcher\/client\.js$/.test(args.importer) ? { path: stub("undici-client-h2") } : undefined));
  },
};

await build({
  ...common,
  external: [],
  plugins: [noFetchBody],
  entryPoints: ["src/api/undici.ts"],
  outfile: "dist/cli/undici.js",
  alias: { "node:assert": stub("node-assert"), "node:http": stub("node-http"), "node:http2": stub("node-http2") },
});
