export { Webhook, WEBHOOK_TYPE, WEBHOOK_MODULE, WEBHOOK_TYPE_NAME, type WebhookArgs } from "./webhook";
export { webhookProvider } from "./provider";
export type { WebhookInputs, WebhookOutputs, LastHealthCheck } from "./engine";
export type { HealthCheckPolicy } from "../webhook/health";
