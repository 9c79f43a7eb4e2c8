/**
 * A `NODE_OPTIONS=--require` preload that stops a CLI process at one step of its work, so a test
 * can kill it exactly there (as Terraform does when a run is cancelled). TUCO_TEST_PAUSE_AT names
 * the step:
 *
 *   before <METHOD> <path prefix>[#n]   just before the n-th matching API request is sent (n: 1)
 *   after <METHOD> <path prefix>[#n]    just after its answer arrived, before the CLI sees it
 *   before rename <suffix>              just before a file is renamed onto a path ending in suffix
 *                                       (the temporary file is written and flushed by then)
 *
 * At the step it writes `tuco-test-pause: <step>` to stderr (with TUCO_TEST_PAUSE_TRACE set, then
 * the stack trace that reached it, between `tuco-test-trace:` and `tuco-test-trace-end`) and waits: forever, or, with
 * TUCO_TEST_RESUME_FILE set, until that file exists (then it carries on). Nothing else changes.
 */
"use strict";
const point = process.env.TUCO_TEST_PAUSE_AT;
if (point) {
  const path = require("node:path");
  const m = /^(before|after) (\S+) (\S+?)(?:#(\d+))?$/.exec(point);
  if (!m) throw new Error(`TUCO_TEST_PAUSE_AT ${JSON.stringify(point)}: use "before|after METHOD PATH[#n]" or "before rename SUFFIX"`);
  const [, when, what, target, nth] = m;
  const resumeFile = process.env.TUCO_TEST_RESUME_FILE;
  const stop = () => {
    process.stderr.write(`tuco-test-pause: ${point}\n`);
    // The call stack that reached the step, as a stack trace of an error there would show it.
    if (process.env.TUCO_TEST_PAUSE_TRACE) process.stderr.write(`tuco-test-trace:${new Error().stack.split("\n").slice(1).join("\n")}\ntuco-test-trace-end\n`);
    if (!resumeFile) {
      setInterval(() => {}, 1 << 30);
      return new Promise(() => {});
    }
    const fs = require("node:fs");
    return new Promise((resolve) => {
      const poll = setInterval(() => {
        if (fs.existsSync(resumeFile)) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
  };
  if (what === "rename") {
    const fsp = require("node:fs/promises");
    const rename = fsp.rename;
    fsp.rename = async (from, to) => {
      if (String(to).endsWith(target)) await stop();
      return rename(from, to);
    };
  } else {
    // The API client calls undici's request function with its pool as `this`: the bundled CLI
    // takes it from dist/cli/undici.js (src/api/undici.ts), the library from undici's
    // lib/api/api-request. Either module's export is swapped before the client loads it.
    const fs = require("node:fs");
    const besideCli = path.join(path.dirname(process.argv[1] || process.cwd()), "undici.js");
    const vendored = fs.existsSync(besideCli);
    const file = vendored ? besideCli : require.resolve("undici/lib/api/api-request", { paths: [path.dirname(process.argv[1] || process.cwd())] });
    const parts = require(file);
    const request = vendored ? parts.loadUndici().request : parts;
    let seen = 0;
    const paused = async function (opts, ...rest) {
      const matches = opts && opts.method === what && typeof opts.path === "string" && opts.path.startsWith(target);
      if (matches && ++seen === Number(nth || 1)) {
        if (when === "before") await stop();
        const answer = await request.call(this, opts, ...rest);
        const body = await answer.body.text();
        await stop();
        return { ...answer, body: { text: async () => body } };
      }
      return request.call(this, opts, ...rest);
    };
    if (vendored) {
      const { loadUndici } = parts;
      require.cache[file].exports = { loadUndici: () => ({ ...loadUndici(), request: paused }) };
    } else {
      require.cache[file].exports = Object.assign(paused, request);
    }
  }
}
