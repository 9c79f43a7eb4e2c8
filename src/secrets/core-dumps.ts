/**
 * Keeps the secrets a process holds (the API key, a webhook's one-time secret) out of its core
 * dumps. On Linux, /proc/self/coredump_filter chooses which memory a core dump (the kernel's, or
 * gdb's gcore) contains; 0 leaves out all of it (the V8 heap, the stacks, the environment), and
 * children inherit it. Elsewhere, or where /proc is read-only, nothing changes. Internal: no entry
 * point exports this module.
 */
import { writeFileSync } from "node:fs";

/** Leaves this process's memory out of its core dumps; whether that was possible. */
export function excludeMemoryFromCoreDumps(): boolean {
  try {
    writeFileSync("/proc/self/coredump_filter", "0");
    return true;
  } catch {
    return false; // not Linux, or no writable /proc: no filter to set
  }
}
