// Preloaded into a CLI process (NODE_OPTIONS=--require) by test/cli/process-footprint.test.ts: when
// the process exits, writes to TUCO_TEST_FOOTPRINT_FILE which files it loaded with require and
// which of node's public modules it loaded, so a test can see what a provisioner process reads.
"use strict";
const { writeFileSync } = require("node:fs");
const out = process.env.TUCO_TEST_FOOTPRINT_FILE;
process.on("exit", () => {
  if (!out) return;
  const files = Object.keys(require.cache).filter((f) => f !== __filename);
  const builtins = process.moduleLoadList.filter((m) => m.startsWith("NativeModule ") && !m.includes("internal/")).map((m) => m.slice("NativeModule ".length));
  writeFileSync(out, JSON.stringify({ files, builtins }));
});
