export { Webhook, WEBHOOK_TYPE, WEBHOOK_MODULE, WEBHOOK_TYPE_NAME, webhookProvider, type WebhookArgs } from "./webhook";
export type { WebhookOutputs, LastHealthCheck } from "./outputs";
export type { HealthCheckPolicy } from "../webhook/health";
