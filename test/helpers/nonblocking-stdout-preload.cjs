// Preloaded into a CLI process (NODE_OPTIONS=--require) by test/cli/stdio.test.ts: opens fd 1 the
// way a Node parent sharing its own stdio pipe leaves it, O_NONBLOCK (libuv sets the flag on the
// descriptor when it opens it), so a write to a full pipe fails with EAGAIN instead of waiting.
// It says on stderr when a write to fd 1 first meets EAGAIN (the reader may resume then) and, at
// exit, whether the flag was set and how many writes met EAGAIN, so the test knows it ran the case
// it means.
"use strict";
const fs = require("node:fs");
const { Socket } = require("node:net");
new Socket({ fd: 1, readable: false, writable: true }).unref();
const flags = /flags:\s+([0-7]+)/.exec(fs.readFileSync("/proc/self/fdinfo/1", "utf8"))[1];
const nonBlocking = (parseInt(flags, 8) & 0o4000) !== 0;
let eagain = 0;
const writeSync = fs.writeSync;
fs.writeSync = function (fd, ...rest) {
  try {
    return writeSync.call(this, fd, ...rest);
  } catch (err) {
    if (fd === 1 && err && err.code === "EAGAIN" && eagain++ === 0) writeSync(2, "stdout is full\n");
    throw err;
  }
};
process.on("exit", () => writeSync(2, `stdout O_NONBLOCK: ${nonBlocking}; writes that met EAGAIN: ${eagain}\n`));
