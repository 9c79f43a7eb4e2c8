/** `TucoWebhookPrune`: the stack's resource that deletes the webhooks it no longer declares. */
import { Construct } from "constructs";
import { InvalidDeclarationError } from "../webhook/declaration";
import { checkOwnerPart } from "../webhook/ownership";
import { INSTANCE_ENV, INSTANCE_TRIGGER, MAX_ENV_ENTRY_BYTES, PRUNE_ID, PRUNE_TRIGGER, commands, pruneJson, reservedIdError, selfInstanceReference } from "./contract";
import type { CoreLibrary, TerraformResourceLike } from "./core-library";
import { provisioners, triggersFieldOf, tucoCliPath, type TucoWebhookResourceType } from "./resources";
import type { TucoStackInstance, TucoStackInstanceClass } from "./stack-instance";
import type { TucoWebhook } from "./tuco-webhook";

/**
 * The stack's prune resource: its trigger is the sorted list of declared keys, so adding, renaming or
 * removing a `TucoWebhook` replaces it (create-before-destroy), and its create command deletes every
 * webhook the stack owns but no longer declares, in the same apply. Its destroy command deletes every
 * webhook of the stack. The first `TucoWebhook` of a stack creates it; call `TucoWebhookPrune.of(stack)`
 * yourself to keep it when a stack may drop its last webhook (else that last webhook is orphaned,
 * because Terraform runs no provisioner for a resource removed from the configuration).
 */
export interface TucoWebhookPrune<Resource extends TerraformResourceLike> extends Construct {
  /** The Terraform resource that carries the prune provisioners. */
  readonly resource: Resource;
  /** Adds a webhook to the keys kept (called by `TucoWebhook`). Throws when two constructs map to the same key. */
  register(webhook: TucoWebhook<Resource>): void;
}

/** The `TucoWebhookPrune` class of one core library. */
export interface TucoWebhookPruneClass<Stack extends Construct, Resource extends TerraformResourceLike> {
  /** The construct id of the singleton under its stack (a public contract: changing it re-runs the prune). */
  readonly ID: string;
  readonly prototype: TucoWebhookPrune<Resource>;
  /** The stack's prune construct, created on first use. */
  of(stack: Stack, resourceType?: TucoWebhookResourceType): TucoWebhookPrune<Resource>;
  /** Throws when another `TucoWebhook` of `stack` already has `key` (two construct paths that sanitize to one key). */
  checkKeyIsFree(stack: Stack, path: string, id: string, key: string): void;
}

/** Defines `TucoWebhookPrune` over `library`, with its stacks' instance resources made by `Instance`. */
export function defineTucoWebhookPrune<Stack extends Construct, Resource extends TerraformResourceLike>(
  library: CoreLibrary<Stack, Resource>,
  Instance: TucoStackInstanceClass<Stack, Resource>,
): TucoWebhookPruneClass<Stack, Resource> {
  return class TucoWebhookPrune extends Construct {
    static readonly ID = PRUNE_ID;

    static of(stack: Stack, resourceType?: TucoWebhookResourceType): TucoWebhookPrune {
      const existing = stack.node.tryFindChild(TucoWebhookPrune.ID);
      if (existing instanceof TucoWebhookPrune) return existing;
      const subject = JSON.stringify(stack.node.path);
      const notAStack = library.problemWithStack(stack, "stack");
      if (notAStack) throw new InvalidDeclarationError(subject, [notAStack]);
      if (existing) throw reservedIdError(stack, TucoWebhookPrune.ID);
      const type = library.resourceTypeOf(stack, resourceType);
      const stackName = checkOwnerPart("stack", stack.node.id);
      const problems = [...stackName.problems, ...(typeof type === "string" ? [] : [type])];
      if (problems.length > 0 || typeof type !== "string") throw new InvalidDeclarationError(subject, problems);
      return new TucoWebhookPrune(stack, type);
    }

    static checkKeyIsFree(stack: Stack, path: string, id: string, key: string): void {
      const prune = stack.node.tryFindChild(TucoWebhookPrune.ID);
      const twin = prune instanceof TucoWebhookPrune ? prune.webhooks.find((w) => w.key === key) : undefined;
      if (twin) {
        throw new InvalidDeclarationError(JSON.stringify(path), [
          {
            field: "id",
            value: id,
            message:
              `its key ${JSON.stringify(key)} is already used by ${JSON.stringify(twin.node.path)} ` +
              `(keys are construct paths with characters outside [A-Za-z0-9._/-] replaced by "_"): give one of them another id`,
          },
        ]);
      }
    }

    readonly resource: Resource;
    private readonly webhooks: TucoWebhook<Resource>[] = [];
    private readonly stack: Stack;
    private readonly instance: TucoStackInstance<Resource>;
    private readonly resourceType: TucoWebhookResourceType;

    private constructor(stack: Stack, resourceType: TucoWebhookResourceType) {
      super(stack, TucoWebhookPrune.ID);
      this.stack = stack;
      this.resourceType = resourceType;
      this.instance = Instance.of(stack, resourceType);
      this.resource = library.makeResource(this, "Default", resourceType, {}, []);
      this.refresh();
      // The keep list goes on the prune command line, which one argument of a process can carry only so far.
      this.node.addValidation({
        validate: () => {
          const bytes = Buffer.byteLength(commands.prune(tucoCliPath(), this.stack.node.id, this.keys())) + 1;
          return bytes > MAX_ENV_ENTRY_BYTES
            ? [`Invalid stack "${this.stack.node.id}": its prune command is ${bytes} bytes for ${this.webhooks.length} webhooks, more than one argument can carry (${MAX_ENV_ENTRY_BYTES} bytes on Linux): split the webhooks over several stacks, or use shorter construct ids`]
            : [];
        },
      });
    }

    private keys(): string[] {
      return this.webhooks.map((w) => w.key).sort();
    }

    register(webhook: TucoWebhook<Resource>): void {
      TucoWebhookPrune.checkKeyIsFree(this.stack, webhook.node.path, webhook.node.id, webhook.key);
      this.webhooks.push(webhook);
      this.refresh();
    }

    private refresh(): void {
      const keep = this.keys();
      const cli = tucoCliPath();
      const stackName = this.stack.node.id;
      library.setTriggers(this.resource, { [PRUNE_TRIGGER]: pruneJson({ stack: stackName, keep }), [INSTANCE_TRIGGER]: this.instance.id });
      const self = { [INSTANCE_ENV]: selfInstanceReference(triggersFieldOf(this.resourceType)) };
      this.resource.provisioners = provisioners(commands.prune(cli, stackName, keep), self, commands.prune(cli, stackName, []), self);
      // `fqn` renders as "${type.name}", which depends_on rejects: it takes the bare address.
      this.resource.dependsOn =
        this.webhooks.length > 0
          ? this.webhooks.map((w) => library.module.Lazy.stringValue({ produce: () => `${w.resource.terraformResourceType}.${w.resource.friendlyUniqueId}` }))
          : undefined;
    }
  };
}
