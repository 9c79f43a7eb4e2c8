/**
 * `tuco-webhooks/cdktn`: the constructs for CDK Terrain (cdktn) apps. cdktn has no hashicorp/null
 * bindings (there is no @cdktn/provider-null), so its webhooks are `terraform_data` resources,
 * built into Terraform 1.4+; a `null_resource` request is refused at synthesis.
 */
import * as cdktn from "cdktn";
import { defineTucoConstructs } from "../cdk/constructs";
import type { TucoWebhookPrune as TucoWebhookPruneOf, TucoWebhookPruneClass } from "../cdk/prune";
import type { TucoWebhook as TucoWebhookOf, TucoWebhookClass } from "../cdk/tuco-webhook";

const constructs = defineTucoConstructs<cdktn.TerraformStack, cdktn.TerraformResource>({
  packageName: "cdktn",
  displayName: "CDK Terrain (cdktn)",
  module: cdktn,
});

/** A Tuco webhook managed by Terraform, for CDK Terrain apps (see `TucoWebhookProps`). */
export const TucoWebhook: TucoWebhookClass<cdktn.TerraformResource> = constructs.TucoWebhook;
export type TucoWebhook = TucoWebhookOf<cdktn.TerraformResource>;
/** The stack's resource that deletes the webhooks it no longer declares, for CDK Terrain apps. */
export const TucoWebhookPrune: TucoWebhookPruneClass<cdktn.TerraformStack, cdktn.TerraformResource> = constructs.TucoWebhookPrune;
export type TucoWebhookPrune = TucoWebhookPruneOf<cdktn.TerraformResource>;

export { RECIPIENTS_CONTEXT, type TucoWebhookProps } from "../cdk/tuco-webhook";
export { InstallationError, RESOURCE_TYPE_CONTEXT, tucoCliPath, type TucoWebhookResourceType } from "../cdk/resources";
export { readSynthesizedStack, SynthesizedStackError, type SynthesizedStack } from "../cdk/synthesized-stack";
export type { DeclaredPrune } from "../cdk/contract";
export type { SealSpec, WebhookDeclaration } from "../webhook/declaration";
