/**
 * The Terraform resources tuco-webhooks synthesizes (`null_resource` or the built-in
 * `terraform_data`, with create-before-destroy and local-exec provisioners) and the CLI they run.
 */
import * as path from "node:path";
import { DataResource, TerraformProvider, TerraformResource, TerraformStack, type LocalExecProvisioner } from "cdktf";
import type { Construct } from "constructs";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { TucoError } from "../api/errors";
import { showValue } from "../private/text";
import type { Problem } from "../webhook/problems";

/** The Terraform resource a `TucoWebhook` synthesizes: `null_resource` (hashicorp/null) or the built-in `terraform_data`. */
export type TucoWebhookResourceType = "null_resource" | "terraform_data";

/** Context key of the stack-wide default resource type. */
export const RESOURCE_TYPE_CONTEXT = "tuco-webhooks:resourceType";

const RESOURCE_TYPES: readonly TucoWebhookResourceType[] = ["null_resource", "terraform_data"];

/** The installed package cannot be used by Terraform as it is (its CLI path). */
export class InstallationError extends TucoError {
  readonly code = "INSTALLATION";
}

/** The `tuco-webhooks` CLI that provisioners run: the installed package's compiled entry point. */
export function tucoCliPath(): string {
  // From src/cdktf (tests, tsx) and from dist/cdktf (the installed package) alike.
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

function ensureNullProvider(stack: TerraformStack): void {
  const has = stack.node.children.some((c) => c instanceof TerraformProvider && c.terraformResourceType === "null");
  if (!has) new NullProvider(stack, "null");
}

/**
 * A resource of `type` with `triggers` (triggers_replace for terraform_data) and `commands`, replaced
 * create-before-destroy; without triggers and commands, a plain resource whose only use is its id.
 */
export function makeResource(
  scope: Construct,
  id: string,
  type: TucoWebhookResourceType,
  triggers?: Record<string, string>,
  commands?: LocalExecProvisioner[],
): TerraformResource {
  const config = triggers === undefined ? {} : { lifecycle: { createBeforeDestroy: true }, provisioners: commands };
  if (type === "terraform_data") return new DataResource(scope, id, triggers === undefined ? config : { ...config, triggersReplace: triggers });
  ensureNullProvider(TerraformStack.of(scope));
  return new NullResource(scope, id, triggers === undefined ? config : { ...config, triggers });
}

/** The resource type from the prop, else the context, else "null_resource"; or the problem with it. */
export function resourceTypeOf(scope: Construct, prop: unknown): TucoWebhookResourceType | Problem {
  const value: unknown = prop ?? scope.node.tryGetContext(RESOURCE_TYPE_CONTEXT) ?? "null_resource";
  if (RESOURCE_TYPES.includes(value as TucoWebhookResourceType)) return value as TucoWebhookResourceType;
  const from = prop === undefined || prop === null ? `(the "${RESOURCE_TYPE_CONTEXT}" context value) ` : "";
  return { field: "resourceType", value, message: `resourceType ${from}${showValue(value)} is not supported: use "null_resource" or "terraform_data" (or leave it out for "null_resource")` };
}

