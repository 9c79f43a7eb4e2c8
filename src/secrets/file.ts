/**
 * Writing secret files: atomically (a temporary file beside the target, flushed, renamed, the
 * folder flushed), mode 0600, and cleaning up what an interrupted write left.
 */
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { nodeCrypto } from "../private/node-crypto";
import { processAlive } from "../private/process";

/** How old a leftover temporary file of another machine may get before it is removed anyway, in ms. */
const FOREIGN_LEFTOVER_MS = 60 * 60_000;

/** The temporary file a write of `target` goes through: beside it, hidden, naming this machine and process. */
function tempPathFor(target: string, host: string): string {
  return join(dirname(target), `.${basename(target)}.${host}.${process.pid}.${nodeCrypto().randomBytes(6).toString("hex")}.tmp`);
}

/**
 * Removes what interrupted writes of `path` left behind: `.<name>.<host>.<pid>.<random>.tmp` files
 * of processes that are gone (on this machine), or older than an hour (another machine's). Returns
 * the files removed. A write is renamed into place only when complete, so a leftover never holds
 * the only copy of anything still needed (see the apply lifecycle).
 */
export async function removeWriteLeftovers(path: string, host: string): Promise<string[]> {
  const target = resolve(path);
  const dir = dirname(target);
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const m = /^([0-9a-f]{8})\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length));
    const file = join(dir, name);
    let stale: boolean;
    if (m && m[1] === host) stale = Number(m[2]) !== process.pid && !processAlive(Number(m[2]));
    else {
      const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
      stale = age > FOREIGN_LEFTOVER_MS;
    }
    if (stale) {
      await rm(file, { force: true });
      removed.push(file);
    }
  }
  return removed;
}

/**
 * Writes `data` to `path` atomically and durably: a temporary file in the same directory (mode
 * 0600, flushed to disk), renamed over the target, then the directory flushed, so the new name
 * survives a crash. Parent directories are created (mode 0700). A reader sees the old file or the
 * new one, never half of one. `host` tags the temporary file (see `removeWriteLeftovers`).
 */
export async function writePrivateFile(path: string, data: string | Uint8Array, host = "00000000"): Promise<string> {
  const target = resolve(path);
  const dir = dirname(target);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = tempPathFor(target, host);
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
  await syncDirectory(dir);
  return target;
}

/** Flushes a directory's entries to disk (a rename is durable only then). Not every file system allows it: then the rename is as durable as that file system makes it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // EISDIR/EINVAL/EPERM on file systems that do not sync directories
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** Writes an armored sealed secret atomically and durably with mode 0600 (see `writePrivateFile`). Returns the absolute path. */
export function writeSealedFile(path: string, armored: string, host?: string): Promise<string> {
  return writePrivateFile(path, armored, host);
}
