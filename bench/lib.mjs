// Shared helpers for the benchmarks: child servers, load loops, process timing. Plain ESM, run on dist/.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { cpus, totalmem } from "node:os";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const require = createRequire(import.meta.url);
export const cli = `${root}dist/cli/main.js`;

/** Starts a Node script as a child, waits for its first stdout line (a URL), returns {url, child, stop}. */
export async function startChild(args, env = {}) {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  let buffered = "";
  const url = await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      buffered += d;
      const nl = buffered.indexOf("\n");
      if (nl >= 0) resolve(buffered.slice(0, nl).trim());
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code} before printing its URL`)));
  });
  return {
    url,
    child,
    async stop() {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

/** Runs `fn` with `concurrency` workers for `durationMs`; returns requests per second. */
export async function loadFor(durationMs, concurrency, fn) {
  let count = 0;
  const end = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await fn();
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

/** Median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Wall time of one process run, in ms, and its exit code. */
export async function timeProcess(args, env = {}) {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: "ignore" });
  const [code] = await once(child, "exit");
  return { ms: performance.now() - t0, code };
}

export function machine() {
  const c = cpus();
  return `${c.length} x ${c[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
}

export const fmt = (n, d = 1) => Number(n).toFixed(d);
