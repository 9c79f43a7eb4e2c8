import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { CONTROL, hasLoneSurrogate, showValue } from "../private/text";
import { invalid, valid, type Checked } from "../webhook/problems";

/** Longest sealed-secret path we accept, in bytes (Linux's PATH_MAX); one name of it: 255 bytes. */
export const MAX_SEAL_PATH_BYTES = 4096;
const MAX_NAME_BYTES = 255;

/**
 * Checks a file path that a secret will be written to, before anything is created: a non-empty path
 * of printable text that the file system can hold, that is not a directory and whose nearest existing
 * ancestor is one. Returns the absolute path, or the problem (naming `field`, the value and the fix).
 */
export function checkOutputPath(field: string, value: unknown, example = "secrets/crm.age"): Checked<string> {
  const bad = (why: string) => invalid({ field, value, message: `${field} ${showValue(value)} ${why}` });
  const fix = `e.g. "${example}"`;
  if (value === undefined || value === null) return bad(`is missing: name the file to write, ${fix}`);
  if (typeof value !== "string") return bad(`must be a string, got ${typeof value}: name the file to write, ${fix}`);
  if (value.trim() === "") return bad(`is empty: name the file to write, ${fix}`);
  if (hasLoneSurrogate(value)) return bad("contains malformed unicode (half of a surrogate pair): re-type the path");
  if (CONTROL.test(value)) return bad(`contains control characters (newlines, tabs, NUL...): use a plain file path, ${fix}`);
  const target = resolve(value);
  if (Buffer.byteLength(target) > MAX_SEAL_PATH_BYTES || target.split("/").some((name) => Buffer.byteLength(name) > MAX_NAME_BYTES)) {
    return bad(`is too long for the file system (at most ${MAX_SEAL_PATH_BYTES} bytes, ${MAX_NAME_BYTES} per name): use a shorter path, ${fix}`);
  }
  let ancestor = target;
  for (;;) {
    let found: ReturnType<typeof statSync>;
    try {
      found = statSync(ancestor, { throwIfNoEntry: false });
    } catch {
      found = undefined; // ENOTDIR (a file on the way, found further up) or no permission to look
    }
    if (found) {
      if (ancestor === target && found.isDirectory()) return bad(`is a directory: name a file inside it, e.g. "${value.replace(/\/+$/, "")}/webhook.age"`);
      if (ancestor !== target && !found.isDirectory()) return bad(`cannot be created: ${ancestor} is a file, not a directory. Choose another path, ${fix}`);
      break;
    }
    const parent = dirname(ancestor);
    if (parent === ancestor) break;
    ancestor = parent;
  }
  return valid(target);
}

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
