/**
 * The CLI's writes to its standard output and error: synchronous writes to descriptors 1 and 2.
 * A one-shot process then loses nothing when it exits, and never builds the stdout/stderr stream
 * objects (with node:net or node:tty behind them), which would be a tenth of a rejected spec's CPU
 * (bench/results.md). A descriptor that would block (a non-blocking pipe shared with a parent) is
 * waited on and written again, so every write stays whole and in order, as with a blocking one; a
 * reader that went away (EPIPE) ends the writing, as `head` expects.
 */
import { writeSync } from "node:fs";

/** What `Atomics.wait` sleeps on between two tries of a descriptor that would block. */
const pause = new Int32Array(new SharedArrayBuffer(4));
const RETRY_MS = 1;

function write(fd: 1 | 2, text: string): void {
  let bytes = Buffer.from(text, "utf8");
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return;
      if (code !== "EAGAIN") throw err;
      Atomics.wait(pause, 0, 0, RETRY_MS);
    }
  }
}

/** Writes `text` as is to standard output. */
export function writeStdout(text: string): void {
  write(1, text);
}

/** Writes `text` as is to standard error. */
export function writeStderr(text: string): void {
  write(2, text);
}
