/**
 * The core library the constructs are bound to: `cdktf`, or its fork `cdktn` (CDK Terrain). A
 * construct built against one fails inside the other's synthesis (their tokens and stacks are
 * their own), so the constructs are defined once over a `CoreLibrary` and bound to each library
 * by its entry point (`tuco-webhooks/cdktf`, `tuco-webhooks/cdktn`). The module types below are
 * structural: this file loads no library, and its declarations name neither.
 */
import type { Construct, IConstruct } from "constructs";
import { showValue } from "../private/text";
import type { Problem } from "../webhook/problems";
import { RESOURCE_TYPE_CONTEXT, type LocalExecProvisioner, type TucoWebhookResourceType } from "./resources";

/** What the constructs use of a Terraform resource of the core library. */
export interface TerraformResourceLike extends Construct {
  readonly terraformResourceType: string;
  readonly friendlyUniqueId: string;
  dependsOn?: string[];
  provisioners?: unknown[];
  getStringAttribute(attribute: string): string;
}

/** The configuration the constructs give a resource. */
export interface ResourceConfig {
  readonly lifecycle?: { readonly createBeforeDestroy: boolean };
  readonly provisioners?: LocalExecProvisioner[];
}

/** What the constructs use of the core library's module (`typeof import("cdktf")` and `typeof import("cdktn")` both have it). */
export interface CoreLibraryModule<Stack extends Construct, Resource extends TerraformResourceLike> {
  readonly TerraformStack: (abstract new (scope: Construct, id: string) => Stack) & { of(construct: IConstruct): Stack };
  readonly DataResource: new (scope: Construct, id: string, config?: ResourceConfig & { readonly triggersReplace?: Record<string, string> }) => Resource & {
    triggersReplace?: Record<string, unknown>;
  };
  readonly TerraformOutput: new (scope: Construct, id: string, config: { readonly value: string; readonly description?: string }) => unknown;
  readonly TerraformProvider: abstract new (...args: never[]) => { readonly terraformResourceType: string };
  readonly Lazy: { stringValue(producer: { produce(): string }): string };
  readonly Token: { isUnresolved(value: unknown): boolean };
  readonly Annotations: { of(scope: IConstruct): { addWarning(message: string): void } };
}

/** The bindings of the hashicorp/null provider for the core library (`@cdktf/provider-null` for cdktf). */
export interface NullProviderBindings<Resource extends TerraformResourceLike> {
  readonly NullProvider: new (scope: Construct, id: string) => unknown;
  readonly NullResource: new (scope: Construct, id: string, config?: ResourceConfig & { readonly triggers?: Record<string, string> }) => Resource & {
    triggers?: Record<string, unknown>;
  };
}

/** A core library as an entry point binds the constructs to it. */
export interface CoreLibraryBinding<Stack extends Construct, Resource extends TerraformResourceLike> {
  /** The library's npm package: "cdktf" or "cdktn". */
  readonly packageName: string;
  /** The library as messages name it, e.g. "CDK Terrain (cdktn)". */
  readonly displayName: string;
  /** The library's module, as `require(packageName)` returns it. */
  readonly module: CoreLibraryModule<Stack, Resource>;
  /**
   * Loads the hashicorp/null bindings, on the first `null_resource` only (they are an optional peer);
   * absent where the library has none (cdktn: no @cdktn/provider-null), so `null_resource` is refused.
   */
  readonly loadNullProvider?: { readonly packageName: string; load(): NullProviderBindings<Resource> };
}

/** The entry point of each core library, for the message that names the right one. */
const ENTRY_POINTS = `a cdktf app imports the constructs from "tuco-webhooks/cdktf", a CDK Terrain (cdktn) app from "tuco-webhooks/cdktn"`;

/** The core library the constructs are bound to, and what they make with it. */
export class CoreLibrary<Stack extends Construct, Resource extends TerraformResourceLike> {
  private nullProvider: NullProviderBindings<Resource> | undefined;

  constructor(readonly binding: CoreLibraryBinding<Stack, Resource>) {}

  get module(): CoreLibraryModule<Stack, Resource> {
    return this.binding.module;
  }

  /** The resource type when neither the prop nor the context names one: null_resource where the library has its bindings, else terraform_data. */
  get defaultResourceType(): TucoWebhookResourceType {
    return this.binding.loadNullProvider ? "null_resource" : "terraform_data";
  }

  /** The problem with `stack` when it is not a stack of this library (a construct of one library in the other's app), else undefined. */
  problemWithStack(stack: IConstruct, field: string): Problem | undefined {
    if (stack instanceof this.module.TerraformStack) return undefined;
    return {
      field,
      value: stack.node.path,
      message:
        `${field} ${showValue(stack.node.path)} is not a ${this.binding.packageName} TerraformStack, and these constructs are bound to ${this.binding.displayName} ` +
        `(the two libraries' constructs cannot be mixed in one app): ${ENTRY_POINTS}`,
    };
  }

  /** The resource type from the prop, else the context, else the library's default; or the problem with it. */
  resourceTypeOf(scope: IConstruct, prop: unknown): TucoWebhookResourceType | Problem {
    const fromContext = prop === undefined || prop === null;
    const value: unknown = fromContext ? (scope.node.tryGetContext(RESOURCE_TYPE_CONTEXT) ?? this.defaultResourceType) : prop;
    const from = fromContext ? `(the "${RESOURCE_TYPE_CONTEXT}" context value) ` : "";
    const problem = (message: string): Problem => ({ field: "resourceType", value, message: `resourceType ${from}${showValue(value)} ${message}` });
    const nulls = this.binding.loadNullProvider;
    if (value === "terraform_data") return value;
    if (value === "null_resource" && !nulls) {
      return problem(
        `is not available under ${this.binding.displayName}: it has no hashicorp/null provider bindings (there is no @cdktn/provider-null); ` +
          (fromContext ? `set the context value to "terraform_data" or remove it` : `use "terraform_data" or leave resourceType out`) +
          ` (terraform_data is built into Terraform 1.4+ and runs the same commands)`,
      );
    }
    if (value === "null_resource" && nulls) {
      try {
        this.nullProvider ??= nulls.load();
        return value;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
        return problem(`needs ${nulls.packageName}, which is not installed: \`npm install ${nulls.packageName}\`, or use "terraform_data" (built into Terraform 1.4+, no provider to install)`);
      }
    }
    return problem(
      nulls ? `is not supported: use "null_resource" or "terraform_data" (or leave it out for "null_resource")` : `is not supported: use "terraform_data" (or leave it out)`,
    );
  }

  /**
   * A resource of `type` with `triggers` (triggers_replace for terraform_data) and `commands`, replaced
   * create-before-destroy; without triggers and commands, a plain resource whose only use is its id.
   * `type` comes from `resourceTypeOf`.
   */
  makeResource(scope: Construct, id: string, type: TucoWebhookResourceType, triggers?: Record<string, string>, commands?: LocalExecProvisioner[]): Resource {
    const config = triggers === undefined ? {} : { lifecycle: { createBeforeDestroy: true }, provisioners: commands };
    if (type === "terraform_data") return new this.module.DataResource(scope, id, triggers === undefined ? config : { ...config, triggersReplace: triggers });
    // Loaded by resourceTypeOf, which accepts "null_resource" only once its bindings load.
    const nulls = this.nullProvider;
    if (!nulls) throw new TypeError(`makeResource("null_resource") under ${this.binding.displayName} before resourceTypeOf accepted that type`);
    const stack = this.module.TerraformStack.of(scope);
    if (!stack.node.children.some((c) => c instanceof this.module.TerraformProvider && c.terraformResourceType === "null")) new nulls.NullProvider(stack, "null");
    return new nulls.NullResource(scope, id, triggers === undefined ? config : { ...config, triggers });
  }

  /** Replaces the triggers of a resource made by `makeResource` with triggers. */
  setTriggers(resource: Resource, triggers: Record<string, string>): void {
    if (resource instanceof this.module.DataResource) resource.triggersReplace = triggers;
    else (resource as Resource & { triggers?: Record<string, unknown> }).triggers = triggers;
  }
}
