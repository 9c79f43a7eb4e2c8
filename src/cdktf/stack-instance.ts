/**
 * `TucoStackInstance`: one resource per stack whose id, made by Terraform when the stack is first
 * applied and kept in its state, names this instance of the stack. Every webhook resource carries
 * it in its triggers, and its provisioners pass it to the CLI, which writes it into each webhook's
 * ownership marker: two Terraform states of stacks with the same name never touch each other's
 * webhooks. It is also the stack output `tuco_webhooks_instance`, where `drift` reads it.
 */
import { TerraformOutput, TerraformResource, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { InvalidDeclarationError } from "../webhook/declaration";
import { INSTANCE_ID, INSTANCE_OUTPUT } from "./contract";
import { makeResource, type TucoWebhookResourceType } from "./resources";

/** The stack's instance resource, created with its first `TucoWebhook` (or `TucoWebhookPrune.of`). */
export class TucoStackInstance extends Construct {
  /** The construct id of the singleton under its stack (a public contract: changing it changes the instance, and the stack then owns nothing). */
  static readonly ID = INSTANCE_ID;

  /** The stack's instance resource, created on first use with `resourceType`. */
  static of(stack: TerraformStack, resourceType: TucoWebhookResourceType): TucoStackInstance {
    const existing = stack.node.tryFindChild(TucoStackInstance.ID);
    if (existing instanceof TucoStackInstance) return existing;
    if (existing) {
      throw new InvalidDeclarationError(JSON.stringify(stack.node.path), [
        { field: "id", value: TucoStackInstance.ID, message: `the construct id "${TucoStackInstance.ID}" under stack "${stack.node.id}" is reserved by tuco-webhooks: rename that construct` },
      ]);
    }
    return new TucoStackInstance(stack, resourceType);
  }

  /** The resource whose id is the instance. */
  readonly resource: TerraformResource;
  /** The resource type, for the provisioners' `self` references. */
  readonly resourceType: TucoWebhookResourceType;

  private constructor(stack: TerraformStack, resourceType: TucoWebhookResourceType) {
    super(stack, TucoStackInstance.ID);
    this.resourceType = resourceType;
    this.resource = makeResource(this, "Default", resourceType);
    new TerraformOutput(stack, INSTANCE_OUTPUT, { value: this.resource.getStringAttribute("id"), description: "The stack instance that owns this stack's Tuco webhooks (for --instance and TUCO_STACK_INSTANCE)" });
  }

  /** The instance id, as a Terraform reference (known after the first apply). */
  get id(): string {
    return this.resource.getStringAttribute("id");
  }
}
