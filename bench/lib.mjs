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

/** Loads a compiled module of this package (bench runs on dist/). */
export const dist = (p) => require(`${root}dist/${p}`);

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` at once; resolves to the results in order. */
export async function pool(n, concurrency, fn) {
  const results = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await fn(i);
      }
    }),
  );
  return results;
}

/** A local webhook endpoint answering 200 to everything (health-check pings land here). */
export async function startOkReceiver() {
  const { createServer } = await import("node:http");
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end("OK"));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * Runs `node ...args` with only PATH plus `env` (nothing of this shell's environment, so no
 * NODE_OPTIONS or NODE_EXTRA_CA_CERTS that a provisioner would not have), under bash's `time`
 * (CPU, user + system, to the millisecond) and /usr/bin/time (peak RSS) when present.
 * Resolves to {code, stdout, stderr, ms, cpuMs, maxRssKb}; cpuMs and maxRssKb are undefined
 * without /usr/bin/time.
 */
export async function runNode(args, env = {}, cwd = root) {
  const { existsSync, mkdtempSync, readFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const timed = existsSync("/usr/bin/time");
  const dir = timed ? mkdtempSync(`${tmpdir()}/tuco-bench-time-`) : undefined;
  // The times go to a file of their own, so the child's stderr stays what it printed.
  const script = 'TIMEFORMAT="%3U %3S"; exec 3>&2; { time /usr/bin/time -f %M -o "$0/rss" "$@" 2>&3; } 2>"$0/cpu"';
  const [cmd, argv] = timed ? ["bash", ["-c", script, dir, process.execPath, ...args]] : [process.execPath, args];
  const t0 = performance.now();
  const child = spawn(cmd, argv, { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const [code] = await once(child, "close");
  const ms = performance.now() - t0;
  let maxRssKb;
  let cpuMs;
  if (dir) {
    maxRssKb = Number(readFileSync(`${dir}/rss`, "utf8").trim().split("\n").pop().split(" ").pop());
    const [user, sys] = readFileSync(`${dir}/cpu`, "utf8").trim().split("\n").pop().split(" ").map(Number);
    cpuMs = (user + sys) * 1000;
    rmSync(dir, { recursive: true, force: true });
  }
  return { code, stdout, stderr, ms, maxRssKb, cpuMs };
}

/** Peak resident set (VmHWM) of a running process, in KiB, from /proc. */
export async function peakRssKb(pid) {
  const { readFileSync } = await import("node:fs");
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

/** A fresh age X25519 recipient (the identity is thrown away: benches never open what they seal). */
export async function ageRecipient() {
  const age = await import("age-encryption");
  return age.identityToRecipient(await age.generateIdentity());
}

/** Counts what the emulator's request log holds since the last clear: total, writes, and a short summary. */
export async function countRequests(control) {
  const reqs = await control.requests();
  const shape = (r) => `${r.method} ${r.path.replace(/\/api\/webhooks\/[^/]+/, "/:id").replace("/api/webhooks", "")}`.trim();
  const writes = reqs.filter((r) => r.method !== "GET" && !r.path.endsWith("/health-check")).length;
  return { total: reqs.length, writes, summary: reqs.map(shape).join(", ") || "none" };
}

/**
 * Synthesizes a CDKTF stack of `n` TucoWebhooks (null_resource variant: no terraform needed at synth)
 * into `dir`, and returns its directory and each webhook's apply spec, exactly as its provisioner
 * passes it in TUCO_WEBHOOK_SPEC.
 */
export function synthStack(dir, { stack = "bench", n, receiverUrl, recipient }) {
  const { App, TerraformStack } = require("cdktf");
  require("node:fs").mkdirSync(dir, { recursive: true });
  const { TucoWebhook } = dist("cdktf/index.js");
  const { readSynthesizedStack } = dist("cdk/synthesized-stack.js");
  const { webhookTriggerJson } = dist("cdk/contract.js");
  const app = new App({ outdir: `${dir}/cdktf.out` });
  const s = new TerraformStack(app, stack);
  for (let i = 0; i < n; i++) {
    new TucoWebhook(s, `w${i}`, {
      name: `bench-${i}`, url: `${receiverUrl}/w${i}`, events: ["message.sent", "message.reply"],
      recipients: [recipient], sealedSecretPath: `${dir}/sealed/w${i}.age`, resourceType: "null_resource",
    });
  }
  app.synth();
  const stackDir = `${dir}/cdktf.out/stacks/${stack}`;
  const declared = readSynthesizedStack(stackDir);
  return { stackDir, specs: declared.webhooks.map((w) => JSON.stringify(JSON.parse(webhookTriggerJson(w)))) };
}
