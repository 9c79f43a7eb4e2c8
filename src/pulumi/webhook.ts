import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { WebhookEvent } from "../api/types";
import { DEFAULT_HEALTH_CHECK_POLICY, type HealthCheckPolicy } from "../webhook/health";
import type { LastHealthCheck } from "./outputs";
import * as provider from "./provider";

/**
 * The Webhook dynamic provider: the provider module itself (provider.ts), so Pulumi serializes it
 * as `require("tuco-webhooks/pulumi/engine")`. Loaded as an ES module namespace (a test runner
 * running the sources), which Pulumi cannot serialize, it is a plain object of the same methods.
 */
export const webhookProvider: pulumi.dynamic.ResourceProvider = Object.prototype.toString.call(provider) === "[object Module]" ? { ...provider } : provider;

/** The module and type of the resource; the type token is part of every URN, so it never changes. */
export const WEBHOOK_MODULE = "tuco";
export const WEBHOOK_TYPE_NAME = "Webhook";
/** The resource type as it appears in URNs: `pulumi-nodejs:dynamic/tuco:Webhook`. */
export const WEBHOOK_TYPE = `pulumi-nodejs:dynamic/${WEBHOOK_MODULE}:${WEBHOOK_TYPE_NAME}`;

/** Arguments of a `Webhook`. */
export interface WebhookArgs {
  /** The https:// endpoint that receives the events (http:// only for localhost). */
  readonly url: pulumi.Input<string>;
  /** The events to deliver; order and duplicates do not matter. */
  readonly events: pulumi.Input<pulumi.Input<WebhookEvent>[]>;
  /** The webhook's name in Tuco. @default - the resource name */
  readonly name?: pulumi.Input<string>;
  /** A free-text description. @default - none (null) */
  readonly description?: pulumi.Input<string | null>;
  /** Whether Tuco delivers events; false pauses the webhook. @default true */
  readonly isActive?: pulumi.Input<boolean>;
  /**
   * What to do when the signed test ping after create/update does not get a 2xx:
   * "fail" fails the apply (the webhook is kept in state), "warn" prints a warning, "skip" sends no ping.
   * @default "fail"
   */
  readonly healthCheck?: pulumi.Input<HealthCheckPolicy>;
  /**
   * Adopt this existing webhook instead of creating one: it is read, patched to match these
   * args, and managed from then on. Its signing secret is unknown (the `secret` output is "").
   * Only read on create. @default - create a new webhook
   */
  readonly adoptId?: pulumi.Input<string>;
}

/** A Pulumi project or stack name as the marker can carry it ([A-Za-z0-9._-]). */
const markerPart = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, "_") || "_";

/**
 * The resource's identity in its webhook's ownership marker: its project and stack, and a hash of
 * its URN (exact, stable across runs, and free of the resource's name).
 */
function ownerOf(name: string, opts: pulumi.CustomResourceOptions): pulumi.Output<{ pulumi: string; resource: string }> {
  const where = `${markerPart(pulumi.getProject())}/${markerPart(pulumi.getStack())}`;
  return pulumi.createUrn(name, WEBHOOK_TYPE, opts.parent).apply((urn) => ({ pulumi: where, resource: createHash("sha256").update(urn).digest("hex").slice(0, 16) }));
}

/**
 * A Tuco webhook, managed through the `webhookProvider` dynamic provider. Every change is
 * patched in place (a replacement would mint a new secret). `secret` is a Pulumi secret.
 */
export class Webhook extends pulumi.dynamic.Resource {
  /** Tuco's id of the webhook (also the resource id). */
  declare public readonly webhookId: pulumi.Output<string>;
  declare public readonly url: pulumi.Output<string>;
  /** Sorted, without duplicates. */
  declare public readonly events: pulumi.Output<WebhookEvent[]>;
  declare public readonly name: pulumi.Output<string>;
  declare public readonly description: pulumi.Output<string | null>;
  declare public readonly isActive: pulumi.Output<boolean>;
  declare public readonly healthCheck: pulumi.Output<HealthCheckPolicy>;
  declare public readonly adoptId: pulumi.Output<string | null>;
  /** Consecutive failed deliveries, as Tuco counts them. */
  declare public readonly failureCount: pulumi.Output<number>;
  declare public readonly lastTriggeredAt: pulumi.Output<string | null>;
  declare public readonly lastSuccessAt: pulumi.Output<string | null>;
  declare public readonly lastFailureAt: pulumi.Output<string | null>;
  declare public readonly createdAt: pulumi.Output<string>;
  declare public readonly updatedAt: pulumi.Output<string>;
  /** The health-check run by the last create/update (`skipped` under policy "skip"). */
  declare public readonly lastHealthCheck: pulumi.Output<LastHealthCheck>;
  /** The ownership marker in the webhook's description in Tuco (read on refresh; restored by the next update when it is not this resource's). */
  declare public readonly ownerMarker: pulumi.Output<string>;
  /** The signing secret for X-Tuco-Signature, encrypted in state; "" for an adopted webhook. */
  declare public readonly secret: pulumi.Output<string>;

  constructor(name: string, args: WebhookArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      webhookProvider,
      name,
      {
        url: args.url,
        events: args.events,
        name: args.name ?? name,
        description: args.description ?? null,
        isActive: args.isActive ?? true,
        healthCheck: args.healthCheck ?? DEFAULT_HEALTH_CHECK_POLICY,
        adoptId: args.adoptId ?? null,
        owner: ownerOf(name, opts),
        webhookId: undefined,
        failureCount: undefined,
        lastTriggeredAt: undefined,
        lastSuccessAt: undefined,
        lastFailureAt: undefined,
        createdAt: undefined,
        updatedAt: undefined,
        lastHealthCheck: undefined,
        ownerMarker: undefined,
        secret: undefined,
      },
      { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "secret"] },
      WEBHOOK_MODULE,
      WEBHOOK_TYPE_NAME,
    );
  }
}
