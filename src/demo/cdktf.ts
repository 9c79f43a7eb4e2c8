/**
 * The CDKTF front end of the demo. examples/cdktf/main.ts (compiled to dist/examples) is
 * synthesized with the terraform_data variant and the demo's age recipient, then applied with the
 * real `terraform` (offline: terraform_data needs no provider; HOME, TF_DATA_DIR in the temp dir,
 * CHECKPOINT_DISABLE=1). Without terraform on PATH, the demo runs the very commands the synthesized
 * local-exec provisioners hold, in Terraform's order, and says so.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { readSynthesizedStack, type SynthesizedStack } from "../cdk/synthesized-stack";
import { INSTANCE_ID } from "../cdk/contract";
import { expectThat, StepFailed, type DemoContext } from "./context";

/** What one child process printed and how it exited. */
export interface ProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a process with exactly `env` (plus PATH); never inherits TUCO_* or anything else. */
export function runProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The environment of the CLI and of terraform (whose provisioners inherit it). */
export function toolEnv(ctx: DemoContext): NodeJS.ProcessEnv {
  return {
    HOME: path.join(ctx.tmp, "home"),
    TF_DATA_DIR: path.join(ctx.tmp, "tf-data"),
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    TUCO_API_URL: ctx.apiUrl,
    TUCO_API_KEY: ctx.apiKey,
    // Without terraform, drift cannot read the instance from a state: the demo's stand-in is given.
    ...(ctx.terraform ? {} : { TUCO_STACK_INSTANCE: ctx.stackInstance }),
  };
}

/**
 * A provisioner's environment as terraform would give it: the stack instance it reads through
 * `self`, from its own trigger or, on the instance resource itself, as its id (the demo's stand-in
 * instance, since no terraform state holds one).
 */
function provisionerEnv(ctx: DemoContext, environment: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, /^\$\{self\.(?:triggers(?:_replace)?\.tuco_instance|id)\}$/.test(v) ? ctx.stackInstance : v]));
}

/** Runs the built CLI with the tool environment. */
export function runCli(ctx: DemoContext, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ProcessRun> {
  return runProcess(process.execPath, [ctx.cli, ...args], { ...toolEnv(ctx), ...extraEnv }, ctx.tmp);
}

/** The synthesized stack. */
export interface CdktfDeployment {
  readonly stackDir: string;
  readonly stack: SynthesizedStack;
  /** True when real terraform applied it. */
  readonly terraform: boolean;
}

/** Synthesizes examples/cdktf into the temp dir (cwd = temp dir, so sealed secrets land there too). */
export async function synthCdktf(ctx: DemoContext, recipient: string): Promise<string> {
  const cdktfJson = JSON.parse(fs.readFileSync(path.join(ctx.root, "cdktf.json"), "utf8")) as { context?: Record<string, unknown> };
  // terraform_data runs `terraform version` during synth, so without terraform the null_resource
  // variant is synthesized: its provisioners hold the very same commands.
  const context = { ...cdktfJson.context, "tuco-webhooks:resourceType": ctx.terraform ? "terraform_data" : "null_resource" };
  const outdir = path.join(ctx.tmp, "cdktf.out");
  const run = await runProcess(
    process.execPath,
    [path.join(ctx.root, "dist", "examples", "cdktf", "main.js")],
    {
      HOME: path.join(ctx.tmp, "home"),
      CDKTF_OUTDIR: outdir,
      CDKTF_CONTEXT_JSON: JSON.stringify(context),
      TUCO_AGE_RECIPIENTS: recipient,
      TUCO_RECEIVER_URL: `${ctx.receiver.url}`,
    },
    ctx.tmp,
  );
  if (run.code !== 0) throw new StepFailed(`cdktf synth of examples/cdktf exited ${run.code}: ${run.stderr.trim().split("\n").slice(-3).join(" ")}`);
  return path.join(outdir, "stacks", "webhooks-prod");
}

type Provisioner = { "local-exec": { command: string; environment?: Record<string, string>; when?: string } };
type TfResource = { provisioner?: Provisioner[]; depends_on?: string[] };

/** The provisioner commands of the synthesized stack, in the order terraform runs them (dependencies first). */
function provisionerCommands(stackDir: string, when: "create" | "destroy"): { address: string; command: string; environment: Record<string, string> }[] {
  const doc = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as { resource?: Record<string, Record<string, TfResource>> };
  const entries = Object.entries(doc.resource ?? {}).flatMap(([type, byName]) => Object.entries(byName).map(([name, r]) => ({ address: `${type}.${name}`, r })));
  // Terraform's order: the instance resource first (everything references its id), the prune last (it depends on every webhook).
  const isInstance = (e: { address: string }) => e.address.endsWith(`.${INSTANCE_ID}`);
  const ordered = [...entries.filter(isInstance), ...entries.filter((e) => !isInstance(e) && !e.r.depends_on?.length), ...entries.filter((e) => !isInstance(e) && e.r.depends_on?.length)];
  if (when === "destroy") ordered.reverse();
  return ordered.flatMap(({ address, r }) =>
    (r.provisioner ?? [])
      .map((p) => p["local-exec"])
      .filter((p) => (when === "destroy") === (p.when === "destroy"))
      .map((p) => ({ address, command: p.command, environment: p.environment ?? {} })),
  );
}

/** Applies the stack: terraform init + apply, or the provisioners' own commands. Returns a summary line. */
export async function applyCdktf(ctx: DemoContext, stackDir: string): Promise<string> {
  if (ctx.terraform) {
    const env = toolEnv(ctx);
    const init = await runProcess(ctx.terraform, [`-chdir=${stackDir}`, "init", "-input=false", "-no-color"], env, ctx.tmp);
    if (init.code !== 0) throw new StepFailed(`terraform init exited ${init.code}: ${lastLines(init)}`);
    const apply = await runProcess(ctx.terraform, [`-chdir=${stackDir}`, "apply", "-input=false", "-no-color", "-auto-approve", "-parallelism=4"], env, ctx.tmp);
    if (apply.code !== 0) throw new StepFailed(`terraform apply exited ${apply.code}: ${lastLines(apply)}`);
    return /Apply complete![^\n]*/.exec(apply.stdout)?.[0] ?? "terraform apply exited 0";
  }
  const commands = provisionerCommands(stackDir, "create");
  for (const c of commands) {
    const run = await runProcess("/bin/sh", ["-c", c.command], { ...toolEnv(ctx), ...provisionerEnv(ctx, c.environment) }, ctx.tmp);
    if (run.code !== 0) throw new StepFailed(`${c.address}: the provisioner command exited ${run.code}: ${lastLines(run)}`);
  }
  return `ran the ${commands.length} create-time provisioner commands (tuco-webhooks apply x${commands.length - 1}, then prune)`;
}

/** Destroys the stack: terraform destroy, or the destroy-time provisioner commands. */
export async function destroyCdktf(ctx: DemoContext, stackDir: string): Promise<string> {
  if (ctx.terraform) {
    const run = await runProcess(ctx.terraform, [`-chdir=${stackDir}`, "destroy", "-input=false", "-no-color", "-auto-approve", "-parallelism=4"], toolEnv(ctx), ctx.tmp);
    if (run.code !== 0) throw new StepFailed(`terraform destroy exited ${run.code}: ${lastLines(run)}`);
    return /Destroy complete![^\n]*/.exec(run.stdout)?.[0] ?? "terraform destroy exited 0";
  }
  const commands = provisionerCommands(stackDir, "destroy");
  for (const c of commands) {
    const run = await runProcess("/bin/sh", ["-c", c.command], { ...toolEnv(ctx), ...provisionerEnv(ctx, c.environment) }, ctx.tmp);
    if (run.code !== 0) throw new StepFailed(`${c.address}: the destroy provisioner command exited ${run.code}: ${lastLines(run)}`);
  }
  return `ran the ${commands.length} destroy-time provisioner commands (prune --keep '', delete per webhook, then the stack instance's sweep)`;
}

/** `terraform plan -detailed-exitcode`: 0 when terraform sees nothing to do. Undefined without terraform. */
export async function planCdktf(ctx: DemoContext, stackDir: string): Promise<number | undefined> {
  if (!ctx.terraform) return undefined;
  const run = await runProcess(ctx.terraform, [`-chdir=${stackDir}`, "plan", "-input=false", "-no-color", "-detailed-exitcode"], toolEnv(ctx), ctx.tmp);
  if (run.code === 1) throw new StepFailed(`terraform plan failed: ${lastLines(run)}`);
  return run.code;
}

/** The declared webhooks, as `tuco-webhooks drift` reads them. */
export function readStack(stackDir: string): SynthesizedStack {
  const stack = readSynthesizedStack(stackDir);
  expectThat(stack.webhooks.length > 0, `${stackDir} declares no TucoWebhook`);
  return stack;
}

function lastLines(run: ProcessRun): string {
  return `${run.stdout}\n${run.stderr}`.trim().split("\n").filter((l) => l.trim() !== "").slice(-4).join(" | ");
}
