export { Webhook, WEBHOOK_TYPE, WEBHOOK_MODULE, WEBHOOK_TYPE_NAME, type WebhookArgs } from "./webhook";
export { webhookProvider } from "./provider";
export type { WebhookOutputs, LastHealthCheck } from "./outputs";
export type { HealthCheckPolicy } from "../webhook/health";
