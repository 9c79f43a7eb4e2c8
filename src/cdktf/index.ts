export * from "./tuco-webhook";
export { TucoWebhookPrune } from "./prune";
export { InstallationError, RESOURCE_TYPE_CONTEXT, tucoCliPath, type TucoWebhookResourceType } from "./resources";
export { readSynthesizedStack, SynthesizedStackError, type SynthesizedStack } from "./synthesized-stack";
export type { DeclaredPrune } from "./contract";
export type { SealSpec, WebhookDeclaration } from "../webhook/declaration";
