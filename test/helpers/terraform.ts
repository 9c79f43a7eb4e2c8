/**
 * Runs real Terraform offline, in a temp directory, for end-to-end tests.
 *
 * - `requireTerraform()` throws (never skips) when `terraform` is not on PATH.
 * - `TerraformWorkspace` owns a temp dir with its own HOME and CHECKPOINT_DISABLE=1, so nothing is
 *   written outside it; `synth()` synthesizes a cdktf stack into it (a cdktn one with
 *   `{ library: cdktn }`); `init/plan/apply/destroy`
 *   run terraform in the stack's directory (cdktf.out/stacks/<stack>) with the environment given
 *   (local-exec provisioners inherit it); `state()` reads the state file.
 * - Only `terraform_data` stacks work offline: the registry is unreachable, so providers such as
 *   hashicorp/null cannot be installed by `terraform init` here.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as cdktf from "cdktf";
import type * as cdktn from "cdktn";
import { checkExit, requireBinary, run, type ProcessRun } from "./process";

/** A core library a stack is synthesized with. */
export type CoreLibraryModule = typeof cdktf | typeof cdktn;

/** The terraform binary on PATH. Throws a loud error when there is none. */
export function requireTerraform(): string {
  requireBinary("terraform", ["version"], "terraform is not on PATH: these end-to-end tests need the real Terraform (1.11.x). Install it (e.g. /usr/local/bin/terraform) and run again.");
  return "terraform";
}

/** What one terraform run printed and how it exited; `args` are terraform's own (-chdir first). */
export interface TerraformRun extends ProcessRun {
  readonly args: string[];
}

/** Options of a terraform run. */
export interface RunOptions {
  /** Exit codes that are not an error. @default [0] */
  readonly okCodes?: readonly number[];
  /** Extra environment (e.g. TUCO_API_URL / TUCO_API_KEY for the provisioners). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A temp directory with an offline, self-contained Terraform environment. */
export class TerraformWorkspace {
  /** Creates one under the OS temp dir. `env` is given to every terraform run. */
  static create(prefix = "tuco-tf-", env: NodeJS.ProcessEnv = {}): TerraformWorkspace {
    requireTerraform();
    return new TerraformWorkspace(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), env);
  }

  /** Every run so far, for failure messages and secret scans. */
  readonly runs: TerraformRun[] = [];

  private constructor(
    /** The temp dir. */
    readonly root: string,
    private readonly baseEnv: NodeJS.ProcessEnv,
  ) {
    fs.mkdirSync(path.join(root, "home"), { recursive: true });
  }

  /** The environment of a run: only PATH and the offline settings from the parent, plus `env`. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: path.join(this.root, "home"),
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      ...this.baseEnv,
      ...extra,
    };
  }

  /**
   * Synthesizes one stack with `library` (cdktf unless given) into `<root>/<outdir>` and returns the
   * stack's directory (`<outdir>/stacks/<name>`). `build` adds the constructs; `context` becomes the app's context.
   */
  synth<Library extends CoreLibraryModule = typeof cdktf>(
    name: string,
    build: (stack: InstanceType<Library["TerraformStack"]>) => void,
    options: { outdir?: string; context?: Record<string, unknown>; library?: Library } = {},
  ): string {
    const library: CoreLibraryModule = options.library ?? cdktf;
    const outdir = path.join(this.root, options.outdir ?? "cdktf.out");
    fs.mkdirSync(outdir, { recursive: true });
    const app = new library.App({ outdir, context: options.context, skipValidation: false });
    const stack = new library.TerraformStack(app, name);
    // The default local backend writes the state to <process cwd>/terraform.<stack>.tfstate (an
    // absolute path): keep it in the stack directory instead, like a backend a runner restores.
    new library.LocalBackend(stack, { path: "terraform.tfstate" });
    build(stack as InstanceType<Library["TerraformStack"]>);
    app.synth();
    return path.join(outdir, "stacks", name);
  }

  /** Runs `terraform -chdir=<dir> ...args`; throws with the output when the exit code is not ok. */
  async run(dir: string, args: string[], options: RunOptions = {}): Promise<TerraformRun> {
    const all = [`-chdir=${dir}`, ...args];
    const done: TerraformRun = { ...(await run("terraform", all, this.env(options.env))), args: all };
    this.runs.push(done);
    return checkExit(done, options.okCodes);
  }

  /** `terraform init` (offline: terraform_data needs no provider). */
  init(dir: string, options: RunOptions = {}): Promise<TerraformRun> {
    return this.run(dir, ["init", "-input=false", "-no-color", "-backend=true"], options);
  }

  /** `terraform plan -detailed-exitcode`: code 0 no changes, 2 changes (1 is an error unless allowed). */
  plan(dir: string, options: RunOptions = {}): Promise<TerraformRun> {
    return this.run(dir, ["plan", "-input=false", "-no-color", "-detailed-exitcode", "-parallelism=4"], { okCodes: [0, 2], ...options });
  }

  /** `terraform apply -auto-approve`. */
  apply(dir: string, options: RunOptions = {}): Promise<TerraformRun> {
    return this.run(dir, ["apply", "-input=false", "-no-color", "-auto-approve", "-parallelism=4"], options);
  }

  /** `terraform destroy -auto-approve`. */
  destroy(dir: string, options: RunOptions = {}): Promise<TerraformRun> {
    return this.run(dir, ["destroy", "-input=false", "-no-color", "-auto-approve", "-parallelism=4"], options);
  }

  /** The state file of a stack synthesized by `synth()`: `terraform.tfstate` in the stack directory. */
  stateFile(dir: string): string {
    return path.join(dir, "terraform.tfstate");
  }

  /** The parsed state: resources with their type, name and attributes. */
  state(dir: string): { resources: { type: string; name: string; instances: { attributes: Record<string, unknown>; status?: string }[] }[] } {
    return JSON.parse(fs.readFileSync(this.stateFile(dir), "utf8"));
  }

  /** Every file under `dir` (recursively) as text, for scanning; binary-safe enough for JSON/HCL/state. */
  static readTree(dir: string): string {
    let text = "";
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) text += TerraformWorkspace.readTree(full);
      else if (entry.isFile()) text += fs.readFileSync(full, "utf8");
    }
    return text;
  }

  /** Removes the temp dir. */
  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Compiles examples/cdktf into dist/examples/cdktf/main.js (what the root cdktf.json runs). Safe when
 * several test files do it at once: each compiles into its own folder and renames the file into place.
 */
export async function compileCdktfExample(): Promise<string> {
  const repo = path.resolve(__dirname, "../..");
  const tmp = path.join(repo, "dist", `.examples-${process.pid}-${Date.now()}`);
  checkExit(await run(process.execPath, [path.join(repo, "node_modules/typescript/bin/tsc"), "-p", path.join(repo, "examples/cdktf"), "--outDir", tmp]));
  const target = path.join(repo, "dist/examples/cdktf/main.js");
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.renameSync(path.join(tmp, "main.js"), target);
  fs.rmSync(tmp, { recursive: true, force: true });
  return target;
}
