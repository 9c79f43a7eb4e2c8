/**
 * `tuco-webhooks/testing`: run a Pulumi program's Tuco webhooks for real against the emulator (or
 * any Tuco API) in CI, without a Pulumi CLI, and drive the dynamic-provider host directly.
 * Needs `@pulumi/pulumi` installed.
 */
export { deployPulumiProgram, PulumiProgramError, type DeployedWebhook, type PulumiProgramOptions, type PulumiTestStack, type RefreshedWebhook } from "./pulumi-program";
export {
  outputsOf,
  ProviderCallError,
  serializeProvider,
  startPulumiHost,
  urnOf,
  type CheckResponse,
  type DiffResponse,
  type PartialResult,
  type Props,
  type PulumiHost,
  type PulumiHostOptions,
} from "../pulumi/dynamic-provider-host";
