/**
 * Which webhooks a Pulumi Webhook resource owns: its identity in the marker, what it may adopt,
 * whom a webhook now belongs to, and the webhooks its stopped creates left behind. The provider's
 * calls (provider-runtime.ts) decide what to do with the answers.
 */
import { createHash } from "node:crypto";
import type { Webhook } from "../api/types";
import { quoteUntrusted, showId, showValue } from "../private/text";
import { deleteStoppedCreate } from "../webhook/lifecycle";
import { describeOwner, formatMarker, isPulumiOwner, readOwners, withMarker, type Marker, type MarkerOwner, type OwnedWebhook, type PulumiOwner } from "../webhook/ownership";
import { invalid, valid, type Checked } from "../webhook/problems";
import type { WebhookSpec } from "../webhook/spec";
import { PENDING_LEASE_MS, createStillRunning } from "../webhook/stack-webhooks";
import { api, warn } from "./runtime-client";

type Props = Record<string, unknown>;

/** Checks the `owner` input the Webhook resource computes (project/stack and a hash of its URN). */
export function checkPulumiOwner(value: unknown): Checked<PulumiOwner> {
  const v = value as Partial<PulumiOwner> | null;
  if (typeof v === "object" && v !== null && typeof v.pulumi === "string" && /^[A-Za-z0-9._/-]{1,200}$/.test(v.pulumi) && typeof v.resource === "string" && /^[0-9a-f]{16}$/.test(v.resource)) {
    return valid({ pulumi: v.pulumi, resource: v.resource });
  }
  return invalid({ field: "owner", value, message: `owner ${showValue(value)} is not a Webhook resource's identity ({pulumi: "<project>/<stack>", resource: "<16 hex>"}): declare the webhook with the Webhook resource, which sets it` });
}

/**
 * The resource's identity in the marker: the `owner` the Webhook resource computed, else (inputs
 * made by hand, state from tuco-webhooks 0.1) one made from the webhook's name.
 */
export function ownerOf(props: Props): PulumiOwner {
  const checked = props.owner === undefined ? undefined : checkPulumiOwner(props.owner);
  if (checked?.value) return checked.value;
  return { pulumi: "unknown", resource: createHash("sha256").update(`name:${String(props.name)}`).digest("hex").slice(0, 16) };
}

export function confirmedMarker(owner: PulumiOwner, id: string): Marker {
  return { owner: { tool: "pulumi", ...owner }, id };
}

/** Whether a webhook's marker, as an output reads it (`ownerMarker`), is this resource's confirmed marker for webhook `id`. */
export function isOwnConfirmedMarker(ownerMarker: unknown, owner: PulumiOwner, id: string): boolean {
  return ownerMarker === formatMarker(confirmedMarker(owner, id));
}

/** The description a resource's webhook carries: the user's text, then the resource's confirmed marker. */
export function ownedSpec(spec: WebhookSpec, owner: PulumiOwner, id: string): WebhookSpec {
  return { ...spec, description: withMarker(spec.description, confirmedMarker(owner, id)) };
}

/** Why this resource may not take over a webhook, or undefined when it may: never one a CDKTF stack or another Pulumi resource provably owns. */
export function adoptRefusal(w: OwnedWebhook, owner: PulumiOwner): string | undefined {
  const named = w.marker?.owner;
  if (!named || (w.claim !== "owned" && w.claim !== "pending") || isPulumiOwner(named, owner)) return undefined;
  if (named.tool === "pulumi") return `it is managed by another Pulumi Webhook resource, of ${describeOwner(named)}`;
  return `it is managed by ${describeOwner(named)} (CDKTF): remove it from that stack first (or remove the marker line from its description in the Tuco app)`;
}

/**
 * Before a create: the webhooks this very resource left behind. A create that never confirmed and
 * whose host is gone left a webhook whose secret nobody holds: it is deleted. A confirmed one is
 * either the webhook this create replaces (Pulumi deletes it next) or one a stopped `up` made and
 * never stored: the warning names it.
 */
export async function settleEarlierCreates(owner: PulumiOwner): Promise<void> {
  for (const w of readOwners(await api().list())) {
    if (!isPulumiOwner(w.marker?.owner, owner)) continue;
    if (w.claim === "pending" && createStillRunning(w, api().serverNow())) {
      warn(
        `Webhook ${showId(w.webhook.id)} carries an unfinished create of this Webhook resource that may still be running elsewhere (started less than ${PENDING_LEASE_MS / 1000} s ago on another machine): left alone. ` +
          `If no other \`pulumi up\` of this stack is running, its secret is lost: delete it (tuco-webhooks delete --id ${showId(w.webhook.id)} --force), or the next \`pulumi up\` that creates this resource deletes it.`,
      );
    } else if (w.claim === "pending") {
      if ((await deleteStoppedCreate(api(), w)) !== "deleted") continue;
      warn(`An earlier create of this Webhook resource was stopped before it finished: webhook ${showId(w.webhook.id)} was created but its secret was never kept. Deleted it.`);
    } else if (w.claim === "owned") {
      warn(
        `Webhook ${showId(w.webhook.id)} (${quoteUntrusted(w.webhook.url)}) also carries this resource's marker. If this create replaces it, Pulumi deletes it next. ` +
          `If not, either an \`up\` of this stack stopped after creating it (the state does not hold it and its secret is lost: delete it with \`tuco-webhooks delete --id ${showId(w.webhook.id)} --force\`), ` +
          `or another Pulumi state with the same project, stack and resource name manages it (another backend or organization, one Tuco workspace): then leave it, and rename one of the two stacks.`,
      );
    }
  }
}

/**
 * Whom a live webhook now provably belongs to when that is not this resource (neither under its
 * old nor its new identity): a CDKTF stack or another Pulumi resource took it over. Undefined when
 * it is still this resource's, or nobody's provably (its marker removed, edited or copied).
 */
export function takenOver(live: Webhook, ...ours: PulumiOwner[]): MarkerOwner | undefined {
  const [found] = readOwners([live]);
  if (found.claim !== "owned" || ours.some((o) => isPulumiOwner(found.marker?.owner, o))) return undefined;
  return found.marker!.owner;
}
