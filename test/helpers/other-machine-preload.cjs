/**
 * A `NODE_OPTIONS=--require` preload that makes a CLI process look as if it ran on another
 * machine: another hostname (so another host tag in its pending markers, and no pid of this
 * machine means anything to it) and a clock TUCO_TEST_CLOCK_SKEW_MS ahead (negative: behind).
 * TUCO_TEST_MACHINE names that machine, so several processes can run on the same one; without it
 * each process is a machine of its own.
 */
"use strict";
const os = require("node:os");
const name = `other-machine-${process.env.TUCO_TEST_MACHINE || process.pid}`;
os.hostname = () => name;
const skew = Number(process.env.TUCO_TEST_CLOCK_SKEW_MS || 0);
const realNow = Date.now;
Date.now = () => realNow() + skew;
