/** What an apply of a declared webhook returns, the errors it throws (the one for webhooks in the way of a create among them), and how its messages name a webhook from the API. */
import { TucoError } from "../api/errors";
import { quoteUntrusted, showId } from "../private/text";
import type { WebhookDeclaration } from "./declaration";
import type { HealthCheckOutcome } from "./health";
import { describeOwner, type OwnedWebhook, type StackOwner } from "./ownership";
import type { WebhookField } from "./spec";

/** What an apply did. */
export interface ApplyResult {
  readonly action: "created" | "updated" | "unchanged" | "adopted";
  readonly id: string;
  readonly changed: WebhookField[];
  /** The health-check run after the apply, under the declaration's `healthCheck` policy. */
  readonly lastHealthCheck: HealthCheckOutcome;
  /** Where the secret is sealed: a new webhook's (created), or an adopted webhook's that the sealed file already holds; null otherwise. */
  readonly sealedSecretPath: string | null;
}

/** An apply could not finish. The message says what it left behind and what the next apply does. */
export class WebhookApplyError extends TucoError {
  readonly code = "APPLY_FAILED";
}

/** A webhook this stack instance does not provably own is in the way, or an adopt was refused; the message names it and the way out. */
export class OwnershipError extends TucoError {
  readonly code = "OWNERSHIP";
  /** The webhooks in the way. */
  readonly webhookIds: readonly string[];
  constructor(message: string, webhookIds: readonly string[]) {
    super(message);
    this.webhookIds = webhookIds;
  }
}

/** One line naming a webhook from the API for a message: its id, name and url, quoted as text from outside. */
export function describeWebhook(w: OwnedWebhook): string {
  return `${showId(w.webhook.id)} (name ${quoteUntrusted(w.webhook.name)}, url ${quoteUntrusted(w.webhook.url)})`;
}

/** The error for webhooks in the way of a create: each named, with the explicit ways out. */
export function inTheWay(declaration: WebhookDeclaration, owner: StackOwner, blocking: readonly OwnedWebhook[]): OwnershipError {
  const { stack, key } = owner;
  const lines = blocking.map((w) => {
    const named = w.marker?.owner;
    const why =
      w.claim === "copy"
        ? "carries a copy of a marker that is not its own"
        : named && named.tool !== "pulumi" && named.stack === stack && named.key === key
          ? `carries the marker of ${describeOwner(named)}`
          : "carries no marker of this stack (the marker was removed or edited) and delivers to the same url under the same name";
    return `${describeWebhook(w)} ${why}`;
  });
  const first = showId(blocking[0].webhook.id);
  return new OwnershipError(
    `Not creating webhook ${JSON.stringify(declaration.spec.name)} for stack ${stack} key ${key}: ${lines.join("; ")}. ` +
      `A second webhook would deliver every event twice. If ${blocking.length > 1 ? "one of them" : "it"} is this key's webhook (its marker edited in the Tuco app, or this stack's Terraform state lost), ` +
      `take it over: set adoptId: "${first}" on the construct, or run \`tuco-webhooks adopt --id ${first} --stack ${stack} --key ${key} --instance ${owner.instance}\`, then apply again. ` +
      `If it belongs to something else (another app naming its stack ${stack} in this workspace), give this stack another name, or change the webhook's url or name.`,
    blocking.map((w) => w.webhook.id),
  );
}
