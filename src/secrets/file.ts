import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory (mode 0600,
 * flushed to disk), then a rename over the target. Parent directories are created. A reader
 * sees the old file or the new one, never half of one.
 */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<string> {
  const target = resolve(path);
  const dir = dirname(target);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return target;
}

/** Writes an armored sealed secret atomically with mode 0600 (see `writePrivateFile`). Returns the absolute path. */
export function writeSealedFile(path: string, armored: string): Promise<string> {
  return writePrivateFile(path, armored);
}
