/**
 * `TucoStackInstance`: one resource per stack whose id, made by Terraform when the stack is first
 * applied and kept in its state, names this instance of the stack. Every webhook resource carries
 * it in its triggers, and its provisioners pass it to the CLI, which writes it into each webhook's
 * ownership marker: two Terraform states of stacks with the same name never touch each other's
 * webhooks. It is also the stack output `tuco_webhooks_instance`, where `drift` reads it. Its one
 * provisioner, at destroy, prunes every webhook the instance still owns (the sweep).
 */
import { Construct } from "constructs";
import { INSTANCE_ID, INSTANCE_OUTPUT, commands, reservedIdError, sweepEnvironment } from "./contract";
import type { CoreLibrary, TerraformResourceLike } from "./core-library";
import { tucoCliPath, type TucoWebhookResourceType } from "./resources";

/** The stack's instance resource. */
export interface TucoStackInstance<Resource extends TerraformResourceLike> extends Construct {
  /** The resource whose id is the instance. */
  readonly resource: Resource;
  /** The resource type, for the provisioners' `self` references. */
  readonly resourceType: TucoWebhookResourceType;
  /** The instance id, as a Terraform reference (known after the first apply). */
  readonly id: string;
}

/** The `TucoStackInstance` class of one core library. */
export interface TucoStackInstanceClass<Stack extends Construct, Resource extends TerraformResourceLike> {
  /** The construct id of the singleton under its stack (a public contract: changing it changes the instance, and the stack then owns nothing). */
  readonly ID: string;
  readonly prototype: TucoStackInstance<Resource>;
  /** The stack's instance resource, created on first use with `resourceType`. */
  of(stack: Stack, resourceType: TucoWebhookResourceType): TucoStackInstance<Resource>;
}

/** Defines `TucoStackInstance` over `library`. */
export function defineTucoStackInstance<Stack extends Construct, Resource extends TerraformResourceLike>(library: CoreLibrary<Stack, Resource>): TucoStackInstanceClass<Stack, Resource> {
  return class TucoStackInstance extends Construct {
    static readonly ID = INSTANCE_ID;

    static of(stack: Stack, resourceType: TucoWebhookResourceType): TucoStackInstance {
      const existing = stack.node.tryFindChild(TucoStackInstance.ID);
      if (existing instanceof TucoStackInstance) return existing;
      if (existing) throw reservedIdError(stack, TucoStackInstance.ID);
      return new TucoStackInstance(stack, resourceType);
    }

    readonly resource: Resource;
    readonly resourceType: TucoWebhookResourceType;

    private constructor(stack: Stack, resourceType: TucoWebhookResourceType) {
      super(stack, TucoStackInstance.ID);
      this.resourceType = resourceType;
      this.resource = library.makeResource(this, "Default", resourceType);
      // Destroyed after every webhook resource (they reference its id), and never tainted by one: its
      // destroy deletes whatever the instance still owns, which a tainted or removed webhook
      // resource, whose destroy provisioner Terraform skips, would leave behind.
      this.resource.provisioners = [{ type: "local-exec", when: "destroy", command: commands.prune(tucoCliPath(), stack.node.id, []), environment: sweepEnvironment() }];
      new library.module.TerraformOutput(stack, INSTANCE_OUTPUT, {
        value: this.resource.getStringAttribute("id"),
        description: "The stack instance that owns this stack's Tuco webhooks (for --instance and TUCO_STACK_INSTANCE)",
      });
    }

    get id(): string {
      return this.resource.getStringAttribute("id");
    }
  };
}
