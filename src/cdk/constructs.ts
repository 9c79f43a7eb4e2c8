/**
 * The constructs bound to one core library: what `tuco-webhooks/cdktf` and `tuco-webhooks/cdktn`
 * each export, defined once here over the library their entry point passes in.
 */
import type { Construct } from "constructs";
import { CoreLibrary, type CoreLibraryBinding, type TerraformResourceLike } from "./core-library";
import { defineTucoWebhookPrune, type TucoWebhookPruneClass } from "./prune";
import { defineTucoStackInstance, type TucoStackInstanceClass } from "./stack-instance";
import { defineTucoWebhook, type TucoWebhookClass } from "./tuco-webhook";

/** The construct classes of one core library. */
export interface TucoConstructs<Stack extends Construct, Resource extends TerraformResourceLike> {
  readonly TucoWebhook: TucoWebhookClass<Resource>;
  readonly TucoWebhookPrune: TucoWebhookPruneClass<Stack, Resource>;
  readonly TucoStackInstance: TucoStackInstanceClass<Stack, Resource>;
}

/** Defines the constructs over the core library of `binding`. */
export function defineTucoConstructs<Stack extends Construct, Resource extends TerraformResourceLike>(binding: CoreLibraryBinding<Stack, Resource>): TucoConstructs<Stack, Resource> {
  const library = new CoreLibrary(binding);
  const TucoStackInstance = defineTucoStackInstance(library);
  const TucoWebhookPrune = defineTucoWebhookPrune(library, TucoStackInstance);
  const TucoWebhook = defineTucoWebhook(library, TucoWebhookPrune, TucoStackInstance);
  return { TucoWebhook, TucoWebhookPrune, TucoStackInstance };
}
