export * from "./tuco-webhook";
export {
  readSynthesizedStack,
  SynthesizedStackError,
  type DeclaredWebhook,
  type DeclaredPrune,
  type SealSpec,
  type SynthesizedStack,
} from "./synthesized-stack";
