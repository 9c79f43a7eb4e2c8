import type * as FsPromises from "node:fs/promises";
import { UsageError } from "./flags";

/** Largest spec, identity or sealed file a command reads, in bytes (1 MiB: each is a few KiB at most). */
export const MAX_INPUT_FILE_BYTES = 1024 * 1024;

/**
 * Reads a file a user named on the command line, at most `maxBytes` of it, and refuses with one
 * `UsageError` naming `label`, the path and the fix when it is missing, a directory, unreadable,
 * empty or larger than the limit (pipes and devices are read up to the limit, never further).
 */
export async function readInputFile(label: string, path: string, fix: string, maxBytes = MAX_INPUT_FILE_BYTES): Promise<Buffer> {
  const shown = `${label} ${JSON.stringify(path)}`;
  if (path.trim() === "") throw new UsageError(`${shown} is empty: ${fix}`);
  let handle;
  try {
    // node:fs/promises is loaded by the first file read: a command given its input inline never pays for it.
    handle = await (require("node:fs/promises") as typeof FsPromises).open(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`${shown} does not exist: ${fix}`);
    if (code === "EACCES" || code === "EPERM") throw new UsageError(`${shown} cannot be read (permission denied): ${fix}`);
    if (code === "ENOTDIR") throw new UsageError(`${shown} does not exist (a part of the path is a file, not a directory): ${fix}`);
    throw new UsageError(`${shown} cannot be opened (${code ?? (err as Error).message}): ${fix}`);
  }
  try {
    if ((await handle.stat()).isDirectory()) throw new UsageError(`${shown} is a directory, not a file: ${fix}`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new UsageError(`${shown} is larger than ${formatBytes(maxBytes)}, far more than such a file holds: ${fix}`);
    }
    if (total === 0) throw new UsageError(`${shown} is empty: ${fix}`);
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${shown} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): ${fix}`);
  } finally {
    await handle.close();
  }
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}
