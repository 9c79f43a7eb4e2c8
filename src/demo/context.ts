/**
 * What the demo's steps share: where the API is, the clients, the temp dir, the output (every line
 * scrubbed of the API key and every webhook secret), and what each front end deployed.
 */
import { createHash } from "node:crypto";
import type { TucoClient } from "../api/client";
import type { EmulatorControl } from "../emulator/control";
import type { DemoReceiver } from "./receiver";

/** A step could not do what it claims; the message says what was expected and what happened. */
export class StepFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StepFailed";
  }
}

/** Throws `StepFailed` with `message` unless `condition` holds. */
export function expectThat(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailed(message);
}

/** A short, non-reversible fingerprint of a secret: the first 8 hex of its SHA-256. */
export function fingerprint(secret: string): string {
  return `sha256:${createHash("sha256").update(secret).digest("hex").slice(0, 8)}`;
}

/** Output that never shows a withheld value (the API key, webhook secrets, the age identity). */
export class DemoOutput {
  private readonly withheld = new Set<string>();

  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  /** Registers a value that must never be printed. */
  withhold(value: string | undefined): void {
    if (value && value.length >= 8) this.withheld.add(value);
  }

  scrub(text: string): string {
    let out = text;
    for (const value of this.withheld) out = out.split(value).join("(withheld)");
    return out;
  }

  line(text = ""): void {
    for (const l of text.split("\n")) this.write(this.scrub(l));
  }

  /** An indented detail line under the current step. */
  detail(text: string): void {
    this.line(`      ${text}`);
  }
}

/** A webhook one front end deployed, and where its signing secret came from. */
export interface DeployedWebhook {
  readonly frontEnd: "pulumi" | "cdktf";
  /** The resource name (Pulumi) or the construct key (CDKTF). */
  readonly key: string;
  readonly id: string;
  readonly url: string;
  /** Filled in once the secret was obtained the way a downstream service would. */
  secret?: string;
  /** How the secret was obtained, for the output. */
  secretSource?: string;
}

/** The demo's shared state. */
export interface DemoContext {
  readonly out: DemoOutput;
  /** The API's base URL (the embedded emulator's, or TUCO_API_URL). */
  readonly apiUrl: string;
  readonly apiKey: string;
  /** The emulator's control surface; undefined against a real Tuco API. */
  readonly control: EmulatorControl | undefined;
  readonly api: TucoClient;
  readonly receiver: DemoReceiver;
  /** The demo's temp dir (age identity, synthesized stack, terraform state, sealed secrets). */
  readonly tmp: string;
  /** The repository / installed package root (dist/ lives under it). */
  readonly root: string;
  /** The built CLI. */
  readonly cli: string;
  /** Absolute path of `terraform`, or undefined when it is not on PATH. */
  readonly terraform: string | undefined;
  /**
   * The stack instance the provisioners' commands get when terraform is missing and the demo runs
   * them itself (terraform would give them its instance resource's id, kept in its state).
   */
  readonly stackInstance: string;
  readonly webhooks: DeployedWebhook[];
}
