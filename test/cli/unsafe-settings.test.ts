/**
 * Settings a user got slightly wrong, through the built CLI as a provisioner runs it: an API key
 * that cannot go into an Authorization header (a trailing newline from a secrets file) fails at
 * once naming TUCO_API_KEY, not as an unreachable network after retries; a url's `user:password@`
 * is never repeated in a message, however the url is mangled (docs/validation.md: shown as ***).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { runCli } from "../helpers/process";

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => emulator.close());

describe("an API key with a trailing newline", () => {
  it("fails at once naming TUCO_API_KEY, not as an unreachable network after retries", async () => {
    const done = await runCli(["list"], { TUCO_API_URL: emulator.url, TUCO_API_KEY: "tuco_sk_key_from_a_file\n" });
    expect(done.code).toBe(1);
    expect(done.stderr).not.toMatch(/retry \d/);
    expect(done.stderr).not.toMatch(/could not reach Tuco/);
    expect(done.stderr).toMatch(/TUCO_API_KEY/);
  });
});

const PASSWORD = "hunter2-Pr0be-pw";
const env = { TUCO_API_KEY: "tuco_sk_url_credentials", TUCO_API_URL: "http://127.0.0.1:9", TUCO_STACK_INSTANCE: "credentials-instance" };
const spec = (url: string) => JSON.stringify({ stack: "s", key: "k", name: "n", url, events: ["message.sent"], healthCheck: "skip", seal: { recipients: ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"], path: "x.age" } });

describe("url credentials in messages", () => {
  it.each([
    ["plain", `https://user:${PASSWORD}@hooks.example.com/x`],
    ["with a leading space (copy-paste)", ` https://user:${PASSWORD}@hooks.example.com/x`],
    ["with backslashes, which URL parsing reads as slashes", `https:\\\\user:${PASSWORD}@hooks.example.com/x`],
    ["with a slash in the password, so it does not parse as a url", `https://user:${PASSWORD}/x@hooks.example.com/x`],
  ])("a webhook url %s: apply exits 1 naming the url, and the password is not printed", async (_what, url) => {
    const done = await runCli(["apply", "--spec", spec(url)], env);
    expect(done.code).toBe(1);
    expect(done.stderr).toMatch(/url/);
    expect(done.stderr + done.stdout).not.toContain(PASSWORD);
  });

  it.each([
    ["a bad port", `https://user:${PASSWORD}@app.tuco.ai:99999`],
    ["a slash in the password", `https://user:${PASSWORD}/x@app.tuco.ai`],
  ])("TUCO_API_URL with credentials and %s: the password is not printed", async (_what, url) => {
    const done = await runCli(["list"], { ...env, TUCO_API_URL: url });
    expect(done.code).toBe(1);
    expect(done.stderr).toMatch(/TUCO_API_URL/);
    expect(done.stderr + done.stdout).not.toContain(PASSWORD);
  });
});
