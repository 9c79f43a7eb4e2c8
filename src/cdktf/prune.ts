/** `TucoWebhookPrune`: the stack's resource that deletes the webhooks it no longer declares. */
import { DataResource, Lazy, TerraformResource, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { InvalidDeclarationError } from "../webhook/declaration";
import { checkOwnerPart } from "../webhook/ownership";
import { PRUNE_ID, PRUNE_TRIGGER, commands, pruneJson } from "./contract";
import { makeResource, provisioners, resourceTypeOf, tucoCliPath, type TucoWebhookResourceType } from "./resources";
import type { TucoWebhook } from "./tuco-webhook";

/**
 * The stack's prune resource: its trigger is the sorted list of declared keys, so adding, renaming or
 * removing a `TucoWebhook` replaces it (create-before-destroy), and its create command deletes every
 * webhook the stack owns but no longer declares, in the same apply. Its destroy command deletes every
 * webhook of the stack. The first `TucoWebhook` of a stack creates it; call `TucoWebhookPrune.of(stack)`
 * yourself to keep it when a stack may drop its last webhook (else that last webhook is orphaned,
 * because Terraform runs no provisioner for a resource removed from the configuration).
 */
export class TucoWebhookPrune extends Construct {
  /** The construct id of the singleton under its stack (a public contract: changing it re-runs the prune). */
  static readonly ID = PRUNE_ID;

  /** The stack's prune construct, created on first use. */
  static of(stack: TerraformStack, resourceType?: TucoWebhookResourceType): TucoWebhookPrune {
    const existing = stack.node.tryFindChild(TucoWebhookPrune.ID);
    if (existing instanceof TucoWebhookPrune) return existing;
    const subject = JSON.stringify(stack.node.path);
    if (existing) {
      throw new InvalidDeclarationError(subject, [
        { field: "id", value: TucoWebhookPrune.ID, message: `the construct id "${TucoWebhookPrune.ID}" under stack "${stack.node.id}" is reserved by tuco-webhooks: rename that construct` },
      ]);
    }
    const type = resourceTypeOf(stack, resourceType);
    const stackName = checkOwnerPart("stack", stack.node.id);
    const problems = [...stackName.problems, ...(typeof type === "string" ? [] : [type])];
    if (problems.length > 0 || typeof type !== "string") throw new InvalidDeclarationError(subject, problems);
    return new TucoWebhookPrune(stack, type);
  }

  /** The Terraform resource that carries the prune provisioners. */
  readonly resource: TerraformResource;
  private readonly webhooks: TucoWebhook[] = [];
  private readonly stackName: string;

  private constructor(stack: TerraformStack, resourceType: TucoWebhookResourceType) {
    super(stack, TucoWebhookPrune.ID);
    this.stackName = stack.node.id;
    this.resource = makeResource(this, "Default", resourceType, {}, []);
    this.refresh();
  }

  /** Adds a webhook to the keys kept (called by `TucoWebhook`). Throws when two constructs map to the same key. */
  register(webhook: TucoWebhook): void {
    const twin = this.webhooks.find((w) => w.key === webhook.key);
    if (twin) {
      throw new InvalidDeclarationError(JSON.stringify(webhook.node.path), [
        {
          field: "id",
          value: webhook.node.id,
          message:
            `its key ${JSON.stringify(webhook.key)} is already used by ${JSON.stringify(twin.node.path)} ` +
            `(keys are construct paths with characters outside [A-Za-z0-9._/-] replaced by "_"): give one of them another id`,
        },
      ]);
    }
    this.webhooks.push(webhook);
    this.refresh();
  }

  private refresh(): void {
    const keep = this.webhooks.map((w) => w.key).sort();
    const cli = tucoCliPath();
    const trigger = { [PRUNE_TRIGGER]: pruneJson({ stack: this.stackName, keep }) };
    if (this.resource instanceof DataResource) this.resource.triggersReplace = trigger;
    else (this.resource as NullResource).triggers = trigger;
    this.resource.provisioners = provisioners(commands.prune(cli, this.stackName, keep), undefined, commands.prune(cli, this.stackName, []));
    // `fqn` renders as "${type.name}", which depends_on rejects: it takes the bare address.
    this.resource.dependsOn =
      this.webhooks.length > 0
        ? this.webhooks.map((w) => Lazy.stringValue({ produce: () => `${w.resource.terraformResourceType}.${w.resource.friendlyUniqueId}` }))
        : undefined;
  }
}
