// CLI start-up as a provisioner runs it (`node <cli> --help` and a real command that fails fast on
// missing input), against the floor `node -e 0`.
import { cli, fmt, median, timeProcess } from "./lib.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);

async function sample(args, env) {
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push((await timeProcess(args, env)).ms);
  return median(times);
}

export async function run() {
  const floor = await sample(["-e", "0"]);
  const help = await sample([cli, "--help"]);
  // `apply` with an empty spec loads the apply command and the shared model, validates, exits 1 before any request.
  const apply = await sample([cli, "apply", "--spec", "{}"], { TUCO_API_KEY: "tuco_sk_bench", TUCO_API_URL: "http://127.0.0.1:9" });
  return {
    title: "CLI start-up (median of " + RUNS + " runs)",
    rows: [
      ["`node -e 0` (floor)", `${fmt(floor)} ms`, "-", "1.00"],
      ["`tuco-webhooks --help`", `${fmt(help)} ms`, `${fmt(floor)} ms`, fmt(help / floor, 2)],
      ["`tuco-webhooks apply` (loads the command, rejects the spec)", `${fmt(apply)} ms`, `${fmt(floor)} ms`, fmt(apply / floor, 2)],
    ],
    note: "Every local-exec provisioner pays this once per webhook; commands are loaded lazily so `--help` pays for none of them.",
  };
}
