export * from "./tuco-webhook";
export { readSynthesizedStack, SynthesizedStackError, type SynthesizedStack } from "./synthesized-stack";
export type { DeclaredPrune } from "./contract";
export type { SealSpec, WebhookDeclaration } from "../webhook/declaration";
