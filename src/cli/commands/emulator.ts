import type { CliCommand } from "../command";
import { startEmulator, type EmulatorOptions } from "../../emulator";
import { UsageError, parseStrictFlags } from "../flags";
import { writeStderr, writeStdout } from "../stdio";

const HELP = `Usage: tuco-webhooks emulator [options]

Runs the local Tuco API emulator until SIGINT/SIGTERM. The first line of stdout is its
base URL (no trailing slash); logs go to stderr.

Options:
  --port N                 TCP port; 0 picks a free one (default 0)
  --host H                 interface to listen on (default 127.0.0.1)
  --api-key KEY            accept only this bearer key; repeat for more keys
                           (default: any key that starts with tuco_sk_)
  --delivery-timeout-ms N  timeout of health-check pings and fired events (default 10000)
  --rate-limit N           requests per second to /api/* before 429 (default: none)
  -h, --help               show this help

Environment:
  TUCO_EMULATOR_API_KEYS   comma-separated keys to accept, used when no --api-key is given

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 bad option or the address cannot be listened on.`;

function integer(flag: string, raw: string | undefined, min: number, max: number, fix: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}: ${fix}`);
  }
  return n;
}

function parseOptions(args: readonly string[], env: NodeJS.ProcessEnv): EmulatorOptions | "help" {
  const { values } = parseStrictFlags("emulator", args, {
    port: { type: "string" },
    host: { type: "string" },
    "api-key": { type: "string", multiple: true },
    "delivery-timeout-ms": { type: "string" },
    "rate-limit": { type: "string" },
  });
  if (values.help) return "help";
  const port = integer("port", values.port, 0, 65535, "use e.g. --port 0 for a free port");
  const deliveryTimeoutMs = integer("delivery-timeout-ms", values["delivery-timeout-ms"], 1, 600_000, "use e.g. --delivery-timeout-ms 10000");
  const rateLimitPerSecond = integer("rate-limit", values["rate-limit"], 1, 1_000_000, "use e.g. --rate-limit 10, or omit it for no limit");
  if (values.host !== undefined && values.host.trim() === "") throw new UsageError(`--host must not be empty: use e.g. --host 127.0.0.1`);
  let apiKeys = values["api-key"];
  if (apiKeys?.some((k) => k.trim() === "")) throw new UsageError(`--api-key must not be empty: use e.g. --api-key tuco_sk_test`);
  if (apiKeys === undefined && env.TUCO_EMULATOR_API_KEYS) {
    apiKeys = env.TUCO_EMULATOR_API_KEYS.split(",").map((k) => k.trim()).filter((k) => k !== "");
    if (apiKeys.length === 0) apiKeys = undefined;
  }
  return {
    ...(port !== undefined && { port }),
    ...(values.host !== undefined && { host: values.host }),
    ...(apiKeys !== undefined && { apiKeys }),
    ...(deliveryTimeoutMs !== undefined && { deliveryTimeoutMs }),
    ...(rateLimitPerSecond !== undefined && { rateLimitPerSecond }),
  };
}

function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** `tuco-webhooks emulator`: serves the local Tuco API until SIGINT/SIGTERM. */
export const command: CliCommand = {
  name: "emulator",
  summary: "run the local Tuco API emulator",
  async run(args) {
    let options: EmulatorOptions | "help";
    try {
      options = parseOptions(args, process.env);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      writeStderr(`tuco-webhooks emulator: ${err.message}\n`);
      return 1;
    }
    if (options === "help") {
      writeStdout(`${HELP}\n`);
      return 0;
    }
    let emulator;
    try {
      emulator = await startEmulator(options);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      writeStderr(`tuco-webhooks emulator: could not listen: ${message}; pick another --port or --host\n`);
      return 1;
    }
    const stopped = waitForStopSignal();
    writeStdout(`${emulator.url}\n`);
    const keys = options.apiKeys ? `${options.apiKeys.length} configured API key(s)` : "any tuco_sk_ API key";
    writeStderr(`tuco-webhooks emulator: listening on ${emulator.url}, accepting ${keys}; SIGINT/SIGTERM stops it\n`);
    const signal = await stopped;
    writeStderr(`tuco-webhooks emulator: ${signal} received, closing\n`);
    await emulator.close();
    return 0;
  },
};
