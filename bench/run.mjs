// `npm run bench`: runs every benchmark under bench/ and writes bench/results.md.
// Each figure stands beside its baseline or limit, measured in the same run.
// `node bench/run.mjs requests scale` runs only those suites and writes nothing.
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { machine, root } from "./lib.mjs";

const only = process.argv.slice(2);
const suites = ["requests", "scale", "cli-startup", "provider-size", "emulator-throughput"];
const started = performance.now();

const sections = [];
for (const name of suites.filter((s) => only.length === 0 || only.includes(s))) {
  process.stderr.write(`bench: ${name}...\n`);
  const { run } = await import(`./${name}.mjs`);
  // A suite returns one table or several.
  for (const result of [await run()].flat()) {
    const table = [
      `## ${result.title}`,
      "",
      "| what | measured | baseline / limit | ratio |",
      "|---|---|---|---|",
      ...result.rows.map((r) => `| ${r.join(" | ")} |`),
      "",
      result.note ?? "",
    ].join("\n");
    process.stdout.write(`${table}\n\n`);
    sections.push(table);
  }
}

const doc = [
  "# Benchmarks",
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()} (load average ${loadavg().map((l) => l.toFixed(1)).join(", ")} at the end) by \`npm run bench\` (${((performance.now() - started) / 1000).toFixed(0)} s).`,
  "Ratios are measured / baseline, both taken in the same run. Timing lives here, never in `npm test`.\n" +
    "The machine is shared (other engineers' test runs): absolute figures move with its load; ratios are the figures to compare.",
  ...sections,
].join("\n\n");
if (only.length === 0) writeFileSync(`${root}bench/results.md`, `${doc}\n`);
