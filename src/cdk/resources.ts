/**
 * The Terraform resources tuco-webhooks synthesizes, whatever the core library: their types
 * (`null_resource` or the built-in `terraform_data`), their local-exec provisioners and the CLI
 * those run. What makes them with cdktf or cdktn is core-library.ts.
 */
import * as path from "node:path";
import { TucoError } from "../api/errors";

/** The Terraform resource a `TucoWebhook` synthesizes: `null_resource` (hashicorp/null) or the built-in `terraform_data`. */
export type TucoWebhookResourceType = "null_resource" | "terraform_data";

/** Context key of the stack-wide default resource type. */
export const RESOURCE_TYPE_CONTEXT = "tuco-webhooks:resourceType";

/** A local-exec provisioner as the constructs write it. */
export interface LocalExecProvisioner {
  readonly type: "local-exec";
  readonly command: string;
  readonly when?: "destroy";
  readonly environment: Record<string, string>;
}

/** The installed package cannot be used by Terraform as it is (its CLI path). */
export class InstallationError extends TucoError {
  readonly code = "INSTALLATION";
}

/** The `tuco-webhooks` CLI that provisioners run: the installed package's compiled entry point. */
export function tucoCliPath(): string {
  // From src/cdk (tests, tsx) and from dist/cdk (the installed package) alike.
  const cli = path.resolve(__dirname, "../../dist/cli/main.js");
  // Terraform would read these as template sequences in the provisioner command.
  if (/[$%]\{/.test(cli)) throw new InstallationError(`The tuco-webhooks CLI path ${cli} contains "\${" or "%{", which Terraform reads as a template: install the package under another directory`);
  return cli;
}

/** A create-time and a destroy-time local-exec provisioner, each with its environment. */
export function provisioners(createCommand: string, createEnvironment: Record<string, string>, destroyCommand: string, destroyEnvironment: Record<string, string>): LocalExecProvisioner[] {
  return [
    { type: "local-exec", command: createCommand, environment: createEnvironment },
    { type: "local-exec", when: "destroy", command: destroyCommand, environment: destroyEnvironment },
  ];
}

/** Where a resource type keeps its triggers: what provisioners read back through `self`. */
export function triggersFieldOf(type: TucoWebhookResourceType): "triggers" | "triggers_replace" {
  return type === "terraform_data" ? "triggers_replace" : "triggers";
}
