/**
 * Tuco webhooks managed with CDKTF: three webhooks of one stack, created and updated in place by
 * Terraform through the `tuco-webhooks` CLI, their one-time secrets sealed with age.
 *
 *   npm run build                                   # the provisioners run dist/cli/main.js
 *   export TUCO_API_KEY=tuco_sk_...                 # read by the provisioners, never stored
 *   export TUCO_AGE_RECIPIENTS=age1...,age1...      # or "tuco-webhooks:recipients" in cdktf.json
 *   export TUCO_RECEIVER_URL=https://hooks.example.com
 *   cdktf synth && cd cdktf.out/stacks/webhooks-prod && terraform init && terraform apply
 *   tuco-webhooks drift cdktf.out/stacks/webhooks-prod   # what terraform plan cannot see
 *
 * Without the cdktf CLI: `node dist/examples/cdktf/main.js` after `npx tsc -p examples/cdktf`.
 */
import { App, LocalBackend, S3Backend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { RECIPIENTS_CONTEXT, TucoWebhook, TucoWebhookPrune } from "tuco-webhooks/cdktf";

/** Props of the example stack. */
export interface WebhooksStackProps {
  /** Base URL of the services that receive the events. */
  readonly receiverBaseUrl: string;
}

/** The webhooks of one environment. Construct ids are keys in the ownership marker: renaming one replaces that webhook. */
export class WebhooksStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: WebhooksStackProps) {
    super(scope, id);
    // The state must outlive an ephemeral runner: use a remote backend in CI.
    const bucket = process.env.TF_STATE_BUCKET;
    if (bucket) new S3Backend(this, { bucket, key: `tuco-webhooks/${id}.tfstate`, region: process.env.AWS_REGION ?? "eu-west-1" });
    else new LocalBackend(this, { path: "terraform.tfstate" });

    new TucoWebhook(this, "crm", {
      name: "crm-events",
      url: `${props.receiverBaseUrl}/tuco/crm`,
      events: ["message.sent", "message.failed", "message.fallback", "message.reply", "message.opened"],
      description: "All message events, synced into the CRM",
    });

    const billing = new Construct(this, "billing");
    new TucoWebhook(billing, "failures", {
      name: "billing-failures",
      url: `${props.receiverBaseUrl}/tuco/billing`,
      events: ["message.failed"],
      // Billing's endpoint may be down during its own deploys: do not fail the apply for it.
      healthCheck: "warn",
    });

    new TucoWebhook(this, "replies", {
      name: "support-replies",
      url: `${props.receiverBaseUrl}/tuco/replies`,
      events: ["message.reply"],
      isActive: process.env.TUCO_PAUSE_REPLIES !== "true",
    });

    // Keeps the prune resource even if every webhook above is removed one day, so that the last
    // one is deleted too (Terraform runs nothing for a resource removed from the configuration).
    TucoWebhookPrune.of(this);
  }
}

const app = new App();
if (process.env.TUCO_AGE_RECIPIENTS) app.node.setContext(RECIPIENTS_CONTEXT, process.env.TUCO_AGE_RECIPIENTS);
new WebhooksStack(app, "webhooks-prod", { receiverBaseUrl: process.env.TUCO_RECEIVER_URL ?? "https://hooks.example.com" });
app.synth();
