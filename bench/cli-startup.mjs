// One provisioner process, as terraform's local-exec runs it: CPU (user + system) and peak RSS of
// `tuco-webhooks apply` rejecting a spec, in sync, and creating, against the floor `node -e 0`; and,
// in the same run, what the two requests of an in-sync run cost on their own with node:http and
// with the bundled undici, so the figures can be read against what any HTTP client would cost.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { ageRecipient, cli, dist, fmt, median, root, runNode, startOkReceiver } from "./lib.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const KEY = "tuco_sk_bench_startup";

/** Median CPU (ms) and largest RSS (KiB) of RUNS runs of `node ...args(i)`, each checked to exit `expect`. */
async function sample(args, env = {}, expect = 0) {
  const cpu = [];
  let rss = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await runNode(typeof args === "function" ? args(i) : args, env);
    if (r.code !== expect) throw new Error(`node ${[args].flat().join(" ")} exited ${r.code}, not ${expect}: ${r.stderr}`);
    cpu.push(r.cpuMs);
    rss = Math.max(rss, r.maxRssKb);
  }
  return { cpu: median(cpu), rss };
}

/** `node -e` programs doing an in-sync run's two requests (list, health-check) with nothing else. */
const twoRequests = {
  "node:http": (url, id) => `const http = require("node:http"); const agent = new http.Agent({ keepAlive: true });
    const go = (method, path) => new Promise((ok, ko) => http.request(new URL(path, ${JSON.stringify(url)}), { method, agent, headers: { authorization: "Bearer ${KEY}" } }, (res) => { if (res.statusCode !== 200) process.exitCode = 1; res.resume(); res.on("end", ok); }).on("error", ko).end());
    go("GET", "/api/webhooks").then(() => go("POST", "/api/webhooks/${id}/health-check")).then(() => agent.destroy());`,
  "undici (the CLI's bundle, with the CLI's `--liftoff-only`)": (url, id) => `const { Pool, request } = require(${JSON.stringify(`${root}dist/cli/undici.js`)}).loadUndici(); const pool = new Pool(${JSON.stringify(url)});
    const go = async (method, path) => { const r = await request.call(pool, { path, method, headers: { authorization: "Bearer ${KEY}" } }); if (r.statusCode !== 200) process.exitCode = 1; await r.body.text(); };
    go("GET", "/api/webhooks").then(() => go("POST", "/api/webhooks/${id}/health-check")).then(() => pool.close());`,
};

export async function run() {
  const { startEmulator } = dist("emulator/index.js");
  const emulator = await startEmulator({ port: 0 });
  const receiver = await startOkReceiver();
  const tmp = mkdtempSync(`${tmpdir()}/tuco-bench-startup-`);
  const recipient = await ageRecipient();
  const env = { TUCO_API_URL: emulator.url, TUCO_API_KEY: KEY, TUCO_STACK_INSTANCE: "bench-instance" };
  const spec = (key) => JSON.stringify({ stack: "bench", key, name: key, url: `${receiver.url}/${key}`, events: ["message.sent", "message.reply"], seal: { recipients: [recipient], path: `${tmp}/${key}.age` } });
  let m;
  try {
    const floor = await sample(["-e", "0"]);
    const help = await sample([cli, "--help"]);
    // An empty spec: loads the apply command and the model, validates, exits 1 before any request.
    const rejected = await sample([cli, "apply", "--spec", "{}"], env, 1);
    const create = await sample((i) => [cli, "apply", "--spec", spec(`w${i}`)], env);
    const inSync = await sample([cli, "apply", "--spec", spec("w0")], env);
    const { TucoClient } = dist("api/client.js");
    const client = new TucoClient({ apiKey: KEY, apiUrl: emulator.url });
    const [{ id }] = await client.list();
    await client.close();
    const bare = {};
    for (const [name, program] of Object.entries(twoRequests)) bare[name] = await sample([...(name.startsWith("undici") ? ["--liftoff-only"] : []), "-e", program(emulator.url, id)]);
    m = { floor, help, rejected, create, inSync, bare };
  } finally {
    await receiver.close();
    await emulator.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  const { floor } = m;
  const cpuRow = (what, x, target) => [what, `${fmt(x.cpu)} ms`, `${fmt(floor.cpu)} ms${target ? `; target <= ${target}x` : ""}`, fmt(x.cpu / floor.cpu, 2)];
  const mib = (kb) => `${fmt(kb / 1024, 0)} MiB`;
  const rssRow = (what, x) => [what, mib(x.rss), `${mib(floor.rss)}; target <= 2x`, fmt(x.rss / floor.rss, 2)];
  return [
    {
      title: `One provisioner process: CPU, user + system (median of ${RUNS} runs)`,
      rows: [
        ["`node -e 0` (floor)", `${fmt(floor.cpu)} ms`, "-", "1.00"],
        cpuRow("`tuco-webhooks --help`", m.help),
        cpuRow("`tuco-webhooks apply`, a rejected spec (exit 1 before any request)", m.rejected, 1.2),
        cpuRow("`tuco-webhooks apply`, in sync (list, health-check)", m.inSync, 2),
        cpuRow("`tuco-webhooks apply`, create (list, POST, list, age seal + fsync, PATCH, health-check)", m.create, 2.5),
        ...Object.entries(m.bare).map(([name, x]) => cpuRow(`for comparison: a script making only the in-sync run's 2 requests with ${name}`, x)),
      ],
      note: [
        "Each process runs with PATH and the TUCO_* variables only, as a provisioner does (this machine's shell also sets NODE_EXTRA_CA_CERTS,",
        "which alone adds ~80 ms to every node start: it is left out of every row, the floor's included). CPU is bash's `time` (user + system,",
        "to the ms) of the process; a create's median is over as many different webhooks, an in-sync run re-applies the first of them.",
        "What the CLI does per run (src/cli, scripts/build-cli.mjs): the bin is an esbuild bundle, a dispatcher that reads one command's file;",
        "the API client is read only after the spec validates, and undici only by the first request, from a bundle of the two parts of undici",
        "the transport uses (its Pool and `request`, not its index with fetch, WebSocket and caches); the sealed file is written by our own",
        "age v1 X25519 encryption on node:crypto (src/secrets/age-format.ts, tested against the `age` binary and the age-encryption library),",
        "not by importing age-encryption's ESM graph with its post-quantum code; and V8 runs undici's llhttp WebAssembly on its baseline",
        "compiler only (`--liftoff-only`, set by the CLI before the first request), so a one-shot process does not wait for an optimising",
        "compile it will never use. The requests themselves are the cost that remains: the two `for comparison` rows are that cost with",
        "nothing of ours, and the in-sync and create rows sit about that far above the floor. undici is the one HTTP stack (its error codes",
        "drive the client's retry and error mapping and the fault matrix runs on it); node:http would cost less per process, as its row",
        "shows, but would be a second stack with its own error mapping, which we chose not to have. A create adds, over an in-sync run, the",
        "POST, the second list, the PATCH, the X25519 + ChaCha20-Poly1305 seal and two fsyncs (file and folder).",
      ].join(" "),
    },
    {
      title: `One provisioner process: peak RSS (largest of ${RUNS} runs)`,
      rows: [
        ["`node -e 0` (floor)", mib(floor.rss), "-", "1.00"],
        rssRow("`tuco-webhooks apply`, a rejected spec", m.rejected),
        rssRow("`tuco-webhooks apply`, in sync", m.inSync),
        rssRow("`tuco-webhooks apply`, create", m.create),
      ],
      note: "/usr/bin/time's maximum resident set size of each process. The largest apply over a workspace of 500 webhooks is in the scale section.",
    },
  ];
}
