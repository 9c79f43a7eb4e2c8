/**
 * `tuco-webhooks/cdktf`: the constructs for cdktf apps. The null_resource bindings
 * (`@cdktf/provider-null`, an optional peer) are loaded on the first `null_resource` only.
 */
import * as cdktf from "cdktf";
import type { NullProviderBindings } from "../cdk/core-library";
import { defineTucoConstructs } from "../cdk/constructs";
import type { TucoWebhookPrune as TucoWebhookPruneOf, TucoWebhookPruneClass } from "../cdk/prune";
import type { TucoWebhook as TucoWebhookOf, TucoWebhookClass } from "../cdk/tuco-webhook";

const constructs = defineTucoConstructs<cdktf.TerraformStack, cdktf.TerraformResource>({
  packageName: "cdktf",
  displayName: "cdktf",
  module: cdktf,
  loadNullProvider: {
    packageName: "@cdktf/provider-null",
    load: (): NullProviderBindings<cdktf.TerraformResource> => ({
      NullProvider: (require("@cdktf/provider-null/lib/provider") as typeof import("@cdktf/provider-null/lib/provider")).NullProvider,
      NullResource: (require("@cdktf/provider-null/lib/resource") as typeof import("@cdktf/provider-null/lib/resource")).Resource,
    }),
  },
});

/** A Tuco webhook managed by Terraform, for cdktf apps (see `TucoWebhookProps`). */
export const TucoWebhook: TucoWebhookClass<cdktf.TerraformResource> = constructs.TucoWebhook;
export type TucoWebhook = TucoWebhookOf<cdktf.TerraformResource>;
/** The stack's resource that deletes the webhooks it no longer declares, for cdktf apps. */
export const TucoWebhookPrune: TucoWebhookPruneClass<cdktf.TerraformStack, cdktf.TerraformResource> = constructs.TucoWebhookPrune;
export type TucoWebhookPrune = TucoWebhookPruneOf<cdktf.TerraformResource>;

export { RECIPIENTS_CONTEXT, type TucoWebhookProps } from "../cdk/tuco-webhook";
export { InstallationError, RESOURCE_TYPE_CONTEXT, tucoCliPath, type TucoWebhookResourceType } from "../cdk/resources";
export { readSynthesizedStack, SynthesizedStackError, type SynthesizedStack } from "../cdk/synthesized-stack";
export type { DeclaredPrune } from "../cdk/contract";
export type { SealSpec, WebhookDeclaration } from "../webhook/declaration";
