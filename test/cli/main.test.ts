import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { EmulatorControl, startEmulator } from "../../src/emulator";
import { requireBuiltCli, runCli } from "../helpers/process";

beforeAll(requireBuiltCli);

const COMMANDS = ["apply", "delete", "prune", "list", "secret", "drift", "emulator"];

describe("tuco-webhooks", () => {
  test("prints help for every command and the secret subcommands with --help and -h, exit 0, without an API key", async () => {
    const runs = await Promise.all(
      [...COMMANDS.flatMap((c) => [[c, "--help"], [c, "-h"]]), ["secret", "open", "--help"], ["secret", "seal", "--help"]].map(async (args) => ({ args, run: await runCli(args) })),
    );
    for (const { args, run } of runs) {
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: "" });
      expect(run.stdout, args.join(" ")).toMatch(new RegExp(`^Usage: tuco-webhooks ${args[0]}`));
      expect(run.stdout, args.join(" ")).toMatch(/^Exit codes: 0 /m);
    }
  });

  test("lists every command, the environment and the exit codes in the top-level help", async () => {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const run = await runCli(args);
      expect(run.code).toBe(0);
      for (const c of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
      expect(run.stdout).toContain("TUCO_API_KEY");
      expect(run.stdout).toContain("Exit codes: 0 success, 1 error, 2 drift found");
    }
  });

  test("fails without a command: usage on stderr, nothing on stdout, exit 1", async () => {
    const run = await runCli([]);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: "" });
    expect(run.stderr).toContain("no command given");
    expect(run.stderr).toContain("Usage: tuco-webhooks <command>");
  });

  test("rejects an unknown command in one line naming it, the command a typo meant (as for flags) and the commands, exit 1, nothing on stdout", async () => {
    const commands = "the commands are apply, delete, prune, list, adopt, secret, drift, emulator; run `tuco-webhooks --help`";
    const cases: [string, string][] = [
      ["aply", `tuco-webhooks: unknown command "aply" (did you mean apply?): ${commands}\n`],
      ["prnue", `tuco-webhooks: unknown command "prnue" (did you mean prune?): ${commands}\n`],
      ["adpot", `tuco-webhooks: unknown command "adpot" (did you mean adopt?): ${commands}\n`],
      ["deploy", `tuco-webhooks: unknown command "deploy": ${commands}\n`],
      ["constructor", `tuco-webhooks: unknown command "constructor": ${commands}\n`],
    ];
    for (const [name, line] of cases) {
      const run = await runCli([name]);
      expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 1, stdout: "", stderr: line });
    }
  });

  test("prints the package version with --version", async () => {
    const { version } = JSON.parse(readFileSync(resolve(__dirname, "../../package.json"), "utf8")) as { version: string };
    const run = await runCli(["--version"]);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: `${version}\n` });
  });

  test("reports a retried request as one progress line on stderr and keeps stdout for the result", async () => {
    const emulator = await startEmulator({ port: 0 });
    try {
      await new EmulatorControl(emulator.url).addFault({ kind: "status", method: "GET", path: "/api/webhooks", status: 503 });
      const run = await runCli(["list", "--json"], { TUCO_API_URL: emulator.url, TUCO_API_KEY: "tuco_sk_cli_retry_line" });
      expect({ code: run.code, stdout: JSON.parse(run.stdout) }).toEqual({ code: 0, stdout: { webhooks: [] } });
      expect(run.stderr).toMatch(/^tuco-webhooks list: GET \/api\/webhooks: answered 503 Service Unavailable; retry 1 in \d+ ms\n$/);
    } finally {
      await emulator.close();
    }
  });
});
