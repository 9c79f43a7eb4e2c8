/**
 * Bad flags and files for every subcommand of the built CLI (issue 6): an unknown flag, a missing
 * value, a flag given twice, a value of the wrong type, and spec/identity/sealed/stack files that are
 * missing, a directory, empty, not what they should be or far too large. Each exits 1 with ONE line on
 * stderr naming the flag or file, the value and the fix, prints nothing on stdout, sends no request to
 * the API and leaves no file behind.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { freshKey, requestsOf } from "./helpers";
import { ageEncrypt, ageKeypair, requireAgeBinary } from "../helpers/age";
import { requireBuiltCli, runCli } from "../helpers/process";

let emulator: RunningEmulator;
let control: EmulatorControl;
const dir = mkdtempSync(join(tmpdir(), "tuco-bad-flags-"));
const at = (name: string) => join(dir, name);
let recipient = "";

beforeAll(async () => {
  requireBuiltCli();
  requireAgeBinary();
  emulator = await startEmulator({ port: 0 });
  control = new EmulatorControl(emulator.url);
  const pair = ageKeypair(dir, "id.txt");
  recipient = pair.recipient;
  writeFileSync(at("empty"), "");
  writeFileSync(at("blank.json"), "  \n\t\n");
  writeFileSync(at("bad.json"), "{nope");
  writeFileSync(at("array.json"), "[1, 2]");
  writeFileSync(at("big.json"), `{"name": "${"a".repeat(1024 * 1024)}"}`);
  writeFileSync(at("not-a-key.txt"), "# a comment\nnot a key\n");
  writeFileSync(at("not-age.age"), "hello, not encrypted\n");
  writeFileSync(at("a-file"), "a file, not a directory");
  mkdirSync(at("a-dir"));
  mkdirSync(at("a-stack-dir"));
  mkdirSync(at("out"));
  // cdktf's output folder with two stacks, and one whose stacks folder is empty.
  for (const stack of ["web", "api"]) {
    mkdirSync(at(`cdktf.out/stacks/${stack}`), { recursive: true });
    writeFileSync(at(`cdktf.out/stacks/${stack}/cdk.tf.json`), "{}");
  }
  mkdirSync(at("unsynthesized.out/stacks"), { recursive: true });
  // A secret sealed by the real age binary, for the --out cases.
  ageEncrypt("whsec_never_printed_or_written", [pair.recipient], at("sealed.age"));
});

afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One bad command line: what it runs, and the parts its one stderr line must hold (flag or file, value, fix). */
type Case = readonly [title: string, args: readonly string[], says: readonly (string | RegExp)[], extra?: { env?: Record<string, string>; stdin?: string }];

const HELP = (command: string) => `run \`tuco-webhooks ${command} --help\``;

function cases(): Case[] {
  const spec = () => JSON.stringify({ stack: "prod", key: "crm", name: "crm", url: "https://hooks.example.com/x", events: ["message.sent"], seal: { recipients: [recipient], path: at("out/crm.age") } });
  return [
    // apply
    ["apply: an unknown flag, with the flag it meant", ["apply", "--spek", "{}"], ["unknown flag --spek", "did you mean --spec?", HELP("apply")]],
    ["apply: an unknown flag with two letters swapped, with the flag it meant", ["apply", "--sepc", "{}"], ["unknown flag --sepc", "did you mean --spec?", HELP("apply")]],
    ["apply: --spec without its value", ["apply", "--spec"], ["flag --spec needs a value", HELP("apply")]],
    ["apply: --spec followed by another flag", ["apply", "--spec", "--json"], ["flag --spec needs a value", '"--json"', "write --spec=--json if the value really starts with a dash"]],
    ["apply: --spec given twice", ["apply", "--spec", spec(), "--spec", "{}"], ["flag --spec was given twice", ', then "{}"', "give it once"]],
    ["apply: --json given twice", ["apply", "--json", "--json"], ["flag --json was given twice", "give it once"]],
    ["apply: a value for --json, which takes none", ["apply", "--json=yes"], ["flag --json takes no value", '"yes"', "write --json alone"]],
    ["apply: --spec that is a number, not an object", ["apply", "--spec", "42"], ["spec (--spec) must be a JSON object", "got 42"]],
    ["apply: --spec that is not JSON", ["apply", "--spec", "{nope"], ["--spec is not valid JSON", "pass one JSON object"]],
    ["apply: an empty --spec", ["apply", "--spec="], ["--spec is empty", "pass one JSON object"]],
    ["apply: a stray argument", ["apply", "crm.json"], ['unexpected argument "crm.json"', HELP("apply")]],
    ["apply: --spec and --spec-file together", ["apply", "--spec", spec(), "--spec-file", at("bad.json")], ["--spec and --spec-file were both given", "pass the spec one way only"]],
    ["apply: a --spec-file that does not exist", ["apply", "--spec-file", at("nope.json")], [`--spec-file "${at("nope.json")}" does not exist`, "pass the path of a file holding the spec JSON"]],
    ["apply: a --spec-file that is a directory", ["apply", "--spec-file", at("a-dir")], [`--spec-file "${at("a-dir")}" is a directory, not a file`, "pass the path of a file"]],
    ["apply: a --spec-file under a file", ["apply", "--spec-file", at("a-file/spec.json")], [`--spec-file "${at("a-file/spec.json")}" does not exist (a part of the path is a file`]],
    ["apply: an empty --spec-file", ["apply", "--spec-file", at("empty")], [`--spec-file "${at("empty")}" is empty`, "pass the path of a file"]],
    ["apply: a --spec-file of whitespace", ["apply", "--spec-file", at("blank.json")], [`--spec-file "${at("blank.json")}" holds only whitespace`, "pass one JSON object"]],
    ["apply: a --spec-file that is not JSON", ["apply", "--spec-file", at("bad.json")], [`--spec-file "${at("bad.json")}" is not valid JSON`, "pass one JSON object"]],
    ["apply: a --spec-file that is a JSON list", ["apply", "--spec-file", at("array.json")], [`spec (--spec-file "${at("array.json")}") must be a JSON object`, "got [1,2]"]],
    ["apply: a --spec-file over 1 MiB", ["apply", "--spec-file", at("big.json")], [`--spec-file "${at("big.json")}" is larger than 1 MiB`, "pass the path of a file"]],
    ["apply: an endless --spec-file (/dev/zero), read no further than 1 MiB", ["apply", "--spec-file", "/dev/zero"], ['--spec-file "/dev/zero" is larger than 1 MiB']],
    ["apply: an empty TUCO_WEBHOOK_SPEC", ["apply"], ["TUCO_WEBHOOK_SPEC is set but empty", "set it to the spec JSON"], { env: { TUCO_WEBHOOK_SPEC: " " } }],
    ["apply: a TUCO_WEBHOOK_SPEC that is not JSON", ["apply"], ["TUCO_WEBHOOK_SPEC is not valid JSON", "pass one JSON object"], { env: { TUCO_WEBHOOK_SPEC: "stack=prod" } }],
    ["apply: the API key as a flag", ["apply", "--api-key=tuco_sk_in_argv", "--spec", spec()], ["--api-key is not accepted", "TUCO_API_KEY"]],

    // delete
    ["delete: an unknown flag", ["delete", "--ids", "a"], ["unknown flag --ids", "did you mean --id?", HELP("delete")]],
    ["delete: --id without its value", ["delete", "--id"], ["flag --id needs a value"]],
    ["delete: --id given twice", ["delete", "--id", "680a1b2c3d4e5f6789012345", "--id", "680a1b2c3d4e5f6789012346"], ["flag --id was given twice", '"680a1b2c3d4e5f6789012345", then "680a1b2c3d4e5f6789012346"', "give it once"]],
    ["delete: --key given twice", ["delete", "--stack", "prod", "--key", "crm", "--key", "billing"], ["flag --key was given twice", '"crm", then "billing"']],
    ["delete: a value for --json", ["delete", "--id", "abc", "--json=1"], ["flag --json takes no value", '"1"', "write --json alone"]],
    ["delete: --force with --stack/--key, which deletes only what the stack instance owns", ["delete", "--stack", "prod", "--key", "crm", "--force"], ["--force goes with --id", "--stack/--key deletes only what that stack instance owns"]],
    ["delete: a stray argument", ["delete", "680a1b2c3d4e5f6789012345"], ['unexpected argument "680a1b2c3d4e5f6789012345"', HELP("delete")]],

    // prune
    ["prune: an unknown flag", ["prune", "--stack", "prod", "--keep", "crm", "--force"], ["unknown flag --force", HELP("prune")]],
    ["prune: --keep without its value", ["prune", "--stack", "prod", "--keep"], ["flag --keep needs a value"]],
    ["prune: --keep given twice", ["prune", "--stack", "prod", "--keep", "crm", "--keep", "billing"], ["flag --keep was given twice", '"crm", then "billing"', "give it once"]],
    ["prune: --stack given twice", ["prune", "--stack", "prod", "--stack", "staging", "--keep", "crm"], ["flag --stack was given twice", '"prod", then "staging"']],

    // list
    ["list: --stack given twice", ["list", "--stack", "prod", "--stack", "staging"], ["flag --stack was given twice", '"prod", then "staging"']],
    ["list: a value for --json", ["list", "--json=true"], ["flag --json takes no value", '"true"']],
    ["list: a stray argument", ["list", "prod"], ['unexpected argument "prod"', HELP("list")]],

    // drift
    ["drift: an unknown flag, with the flag it meant", ["drift", at("a-stack-dir"), "--fx"], ["unknown flag --fx", "did you mean --fix?"]],
    ["drift: a value for --fix", ["drift", at("a-stack-dir"), "--fix=yes"], ["flag --fix takes no value", '"yes"']],
    ["drift: --json given twice", ["drift", at("a-stack-dir"), "--json", "--json"], ["flag --json was given twice"]],
    ["drift: two stacks", ["drift", at("a-stack-dir"), at("a-dir")], ["expected one argument, the synthesized stack (cdktf.out/stacks/NAME), got 2"]],
    ["drift: no stack", ["drift"], ["expected one argument, the synthesized stack (cdktf.out/stacks/NAME), got 0"]],
    ["drift: a path that does not exist", ["drift", at("nowhere")], [`${at("nowhere")}: no such file`, "run `cdktf synth` first"]],
    ["drift: a directory without cdk.tf.json", ["drift", at("a-stack-dir")], [`${at("a-stack-dir/cdk.tf.json")}: no such file`, "run `cdktf synth` first"]],
    ["drift: cdktf's output folder instead of a stack's, listing its stacks", ["drift", at("cdktf.out")], [`${at("cdktf.out")}: this is cdktf's output folder, not one stack's, holding the stacks api, web: run \`tuco-webhooks drift ${at("cdktf.out/stacks/api")}\` (one stack per run)`]],
    ["drift: the stacks folder instead of a stack's, listing its stacks", ["drift", at("cdktf.out/stacks")], [`${at("cdktf.out/stacks")}: this is a folder of synthesized stacks, not one stack's, holding the stacks api, web: run \`tuco-webhooks drift ${at("cdktf.out/stacks/api")}\``]],
    ["drift: cdktf's output folder without a synthesized stack", ["drift", at("unsynthesized.out")], [`${at("unsynthesized.out")}: this is cdktf's output folder, but its stacks folder holds no synthesized stack`, "run `cdktf synth` first"]],
    ["drift: an empty file", ["drift", at("empty")], [`${at("empty")}: is empty`, "cdktf synth"]],
    ["drift: a file that is not JSON", ["drift", at("bad.json")], [`${at("bad.json")}: not valid JSON`, "cdktf synth"]],
    ["drift: a JSON list", ["drift", at("array.json")], [`${at("array.json")}: not a Terraform JSON configuration`, "got [1,2]"]],

    // the API's base URL, as copied from the API docs' endpoint (EMULATOR is the emulator's URL)
    ["list: a TUCO_API_URL ending in /api", ["list"], ['TUCO_API_URL "EMULATOR/api" ends in /api, which the client adds itself', "drop the /api, i.e. set TUCO_API_URL to EMULATOR."], { env: { TUCO_API_URL: "EMULATOR/api" } }],
    ["delete: a TUCO_API_URL ending in /api/webhooks/", ["delete", "--id", "680a1b2c3d4e5f6789012345"], ['TUCO_API_URL "EMULATOR/api/webhooks" ends in /api/webhooks', "set TUCO_API_URL to EMULATOR."], { env: { TUCO_API_URL: "EMULATOR/api/webhooks/" } }],

    // secret open
    ["secret open: an unknown flag, with the flag it meant", ["secret", "open", at("sealed.age"), "--identiy", at("id.txt")], ["unknown flag --identiy", "did you mean --identity?"]],
    ["secret open: --identity without its value", ["secret", "open", at("sealed.age"), "--identity"], ["flag --identity needs a value"]],
    ["secret open: --out given twice", ["secret", "open", at("sealed.age"), "--identity", at("id.txt"), "--out", at("out/a"), "--out", at("out/b")], ["flag --out was given twice", `"${at("out/a")}", then "${at("out/b")}"`]],
    ["secret open: no --identity", ["secret", "open", at("sealed.age")], ["--identity is missing", "AGE-SECRET-KEY-1"]],
    ["secret open: an --identity that does not exist", ["secret", "open", at("sealed.age"), "--identity", at("nope.txt")], [`--identity "${at("nope.txt")}" does not exist`, "age-keygen -o key.txt"]],
    ["secret open: an --identity that is a directory", ["secret", "open", at("sealed.age"), "--identity", at("a-dir")], [`--identity "${at("a-dir")}" is a directory, not a file`, "age-keygen -o key.txt"]],
    ["secret open: an empty --identity", ["secret", "open", at("sealed.age"), "--identity", at("empty")], [`--identity "${at("empty")}" is empty`, "age-keygen -o key.txt"]],
    ["secret open: an --identity that holds no key", ["secret", "open", at("sealed.age"), "--identity", at("not-a-key.txt")], [`--identity "${at("not-a-key.txt")}" has a line that is not an X25519 age identity`, "age-keygen -o key.txt"]],
    ["secret open: an endless --identity (/dev/zero)", ["secret", "open", at("sealed.age"), "--identity", "/dev/zero"], ['--identity "/dev/zero" is larger than 1 MiB']],
    ["secret open: a sealed FILE that does not exist", ["secret", "open", at("nope.age"), "--identity", at("id.txt")], [`sealed FILE "${at("nope.age")}" does not exist`, "pass the .age file"]],
    ["secret open: a sealed FILE that is a directory", ["secret", "open", at("a-dir"), "--identity", at("id.txt")], [`sealed FILE "${at("a-dir")}" is a directory, not a file`]],
    ["secret open: an empty sealed FILE", ["secret", "open", at("empty"), "--identity", at("id.txt")], [`sealed FILE "${at("empty")}" is empty`]],
    ["secret open: a sealed FILE over 1 MiB", ["secret", "open", at("big.json"), "--identity", at("id.txt")], [`sealed FILE "${at("big.json")}" is larger than 1 MiB`]],
    ["secret open: a sealed FILE that is not age", ["secret", "open", at("not-age.age"), "--identity", at("id.txt")], [`sealed FILE "${at("not-age.age")}": Not an age-encrypted file`, "pass the .age file"]],
    ["secret open: --out that is a directory", ["secret", "open", at("sealed.age"), "--identity", at("id.txt"), "--out", at("out")], [`--out "${at("out")}" is a directory: name a file inside it`]],
    ["secret open: --out under a file", ["secret", "open", at("sealed.age"), "--identity", at("id.txt"), "--out", at("a-file/secret.txt")], [`--out "${at("a-file/secret.txt")}" cannot be created: ${at("a-file")} is a file`]],
    ["secret open: two sealed FILEs", ["secret", "open", at("sealed.age"), at("not-age.age"), "--identity", at("id.txt")], ["secret open takes one sealed FILE, got 2"]],

    // secret seal
    ["secret seal: --recipient without its value", ["secret", "seal", "--recipient"], ["flag --recipient needs a value"], { stdin: "s" }],
    ["secret seal: an empty --recipient", ["secret", "seal", "--recipient="], ['--recipient[0] "" is not a valid X25519 age recipient', "copy the public key exactly"], { stdin: "s" }],
    ["secret seal: an unknown flag, with the flag it meant", ["secret", "seal", "--recipents", "age1x"], ["unknown flag --recipents", "did you mean --recipient?"], { stdin: "s" }],
    ["secret seal: the secret as an argument, never echoed", ["secret", "seal", "whsec_in_argv"], ["secret seal takes no argument (1 given, not shown", "pipe the secret in", /^(?!.*whsec_in_argv)/], { stdin: "s" }],
    ["secret seal: more than 1 MiB on stdin", ["secret", "seal", "--recipient", "RECIPIENT"], ["stdin holds more than 1 MiB", "pipe in the secret alone"], { stdin: "x".repeat(1024 * 1024 + 1) }],
    ["secret: an unknown subcommand", ["secret", "rotate"], ['unknown subcommand "rotate": use', "secret open FILE --identity key.txt"]],
    ["secret: a typo of a subcommand, with the one it meant", ["secret", "opn", at("sealed.age")], ['unknown subcommand "opn" (did you mean open?): use', "secret open FILE --identity key.txt"]],

    // emulator
    ["emulator: an unknown flag", ["emulator", "--verbose"], ["unknown flag --verbose", HELP("emulator")]],
    ["emulator: --port without its value", ["emulator", "--port"], ["flag --port needs a value"]],
    ["emulator: --port given twice", ["emulator", "--port", "0", "--port", "8080"], ["flag --port was given twice", '"0", then "8080"']],
    ["emulator: a --port that is not a number", ["emulator", "--port", "http"], ["--port must be an integer from 0 to 65535", '"http"', "--port 0"]],
    ["emulator: a --rate-limit of 0", ["emulator", "--rate-limit", "0"], ["--rate-limit must be an integer from 1", '"0"', "omit it for no limit"]],
    ["emulator: a fractional --delivery-timeout-ms", ["emulator", "--delivery-timeout-ms", "1.5"], ["--delivery-timeout-ms must be an integer", '"1.5"']],
    ["emulator: an empty --host", ["emulator", "--host", ""], ["--host must not be empty", "--host 127.0.0.1"]],
    ["emulator: an empty --api-key", ["emulator", "--api-key", ""], ["--api-key must not be empty", "--api-key tuco_sk_test"]],
  ];
}

describe("every subcommand, given bad flags or files", () => {
  test.concurrent.each(cases().map((c) => [c[0], c] as const))("rejects %s: exit 1, one line on stderr, no request, no file", async (_t, [, rawArgs, says, extra]) => {
    const key = freshKey();
    const args = rawArgs.map((a) => (a === "RECIPIENT" ? recipient : a));
    const filled = <T extends string | RegExp>(part: T): T => (typeof part === "string" ? (part.replaceAll("EMULATOR", emulator.url) as T) : part);
    const env = Object.fromEntries(Object.entries(extra?.env ?? {}).map(([k, v]) => [k, filled(v)]));
    const before = readdirSync(at("out"));
    const run = await runCli(args, { TUCO_API_URL: emulator.url, TUCO_API_KEY: key, TUCO_STACK_INSTANCE: "bad-flags", ...env }, { stdin: extra?.stdin });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trim().split("\n");
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^tuco-webhooks ${args[0]}: `));
    for (const part of says.map(filled)) {
      if (typeof part === "string") expect(lines[0]).toContain(part);
      else expect(lines[0]).toMatch(part);
    }
    expect(lines[0]).not.toContain("whsec_never_printed_or_written");
    expect(await requestsOf(control, key)).toEqual([]);
    expect(readdirSync(at("out"))).toEqual(before);
  });

  test("wrote no file for any of them and sent the API nothing", async () => {
    expect(readdirSync(at("out"))).toEqual([]);
    expect(await control.requests()).toEqual([]);
  });
});
