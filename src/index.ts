/**
 * `tuco-webhooks`: what a program calls directly. The API client and its errors, the wire types,
 * the webhook model's check and diff, and signature verification for the services that receive
 * deliveries. Front ends have their own entry points (`/pulumi`, `/cdktf`, `/cdktn`), as do the
 * emulator (`/emulator`), sealing (`/secrets`) and the test helpers (`/testing`).
 */
export { TucoClient, type CreateOptions, type RetryInfo, type TucoClientOptions } from "./api/client";
export type { RetryPolicy } from "./api/retry";
export {
  TucoApiError,
  TucoAuthError,
  TucoConfigError,
  TucoConnectionError,
  TucoCreateOutcomeUnknownError,
  TucoError,
  TucoNoWorkspaceError,
  TucoNotFoundError,
  TucoRateLimitError,
  TucoReadOnlyError,
  TucoServerError,
  TucoTimeoutError,
  TucoUnexpectedResponseError,
  TucoValidationError,
  type ApiErrorDetails,
  type TucoErrorCode,
} from "./api/errors";
export {
  DEFAULT_API_URL,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  WEBHOOK_EVENTS,
  type CreateWebhookInput,
  type CreatedWebhook,
  type HealthCheckResult,
  type UpdateWebhookInput,
  type Webhook,
  type WebhookEvent,
} from "./api/types";
export { WebhookSpecError, parseWebhookSpec, validateWebhookSpec, type WebhookField, type WebhookSpec, type WebhookSpecInput } from "./webhook/spec";
export { diffWebhook, type LiveWebhookFields, type WebhookDiff } from "./webhook/diff";
export type { Checked, Problem } from "./webhook/problems";
export type { HealthCheckPolicy } from "./webhook/health";
export { checkTucoSignature, signTucoPayload, verifyTucoSignature, type SignatureCheck, type SignatureFailure } from "./receiver/signature";
export { tucoWebhookHandler, type RejectionReason, type TucoWebhookHandlerOptions, type VerifiedDelivery } from "./receiver/handler";
