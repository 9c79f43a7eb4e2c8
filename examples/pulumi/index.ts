/**
 * Two Tuco webhooks managed by Pulumi, and the CRM webhook's signing secret handed to the service
 * that verifies its deliveries.
 *
 *   pulumi config set --secret tuco:apiKey tuco_sk_...
 *   pulumi config set crmUrl https://crm.example.com/hooks/tuco
 *   pulumi config set repliesUrl https://support.example.com/hooks/tuco-replies
 *   pulumi config set pauseReplies true      # optional: keep the replies webhook paused
 *   pulumi up
 */
import * as pulumi from "@pulumi/pulumi";
import { Webhook } from "tuco-webhooks/pulumi";

const config = new pulumi.Config();

/** Every message event goes to the CRM. */
export const crm = new Webhook("crm", {
  url: config.require("crmUrl"),
  events: ["message.sent", "message.failed", "message.fallback", "message.reply", "message.opened"],
  description: "All message events, synced into the CRM",
});

/** Replies go to the support inbox; `pauseReplies` pauses delivery without deleting the webhook. */
export const replies = new Webhook("replies", {
  url: config.require("repliesUrl"),
  events: ["message.reply"],
  name: "support-replies",
  isActive: !(config.getBoolean("pauseReplies") ?? false),
  healthCheck: config.get("repliesHealthCheck") === "warn" ? "warn" : "fail",
});

/**
 * A Kubernetes Secret, declared by type token so this example needs no extra package; with
 * @pulumi/kubernetes installed use `new k8s.core.v1.Secret(name, args)` instead.
 */
class KubernetesSecret extends pulumi.CustomResource {
  constructor(name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super("kubernetes:core/v1:Secret", name, args, opts);
  }
}

/**
 * The CRM receiver reads its signing secret from a Kubernetes Secret. `crm.secret` is a Pulumi
 * secret, so it stays encrypted in this resource's state too.
 */
export const crmReceiverSecret = new KubernetesSecret("crm-webhook-secret", {
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "tuco-webhook-crm", namespace: "crm" },
  type: "Opaque",
  stringData: { TUCO_WEBHOOK_SECRET: crm.secret, TUCO_WEBHOOK_ID: crm.webhookId },
});

export const crmWebhookId = crm.webhookId;
export const repliesWebhookId = replies.webhookId;
export const repliesActive = replies.isActive;
export const crmHealthCheck = crm.lastHealthCheck;
/** For other stacks (`new pulumi.StackReference(...).getOutput("crmSecret")`); stays secret. */
export const crmSecret = crm.secret;
