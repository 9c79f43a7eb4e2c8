/**
 * What the Webhook dynamic provider runs. The provider (provider.ts, `tuco-webhooks/pulumi/engine`,
 * required by name from every Webhook's serialized state) loads this module when a method runs in
 * Pulumi's dynamic-provider host, so `refresh` and `destroy` always run the installed code.
 * It maps the engine's calls onto the shared model (`webhook/`) and the API client (`api/`), and
 * adds only what is Pulumi's own: preview's unknown values, the config keys, partial creates.
 * One small function per engine call (configure, check, diff, create, read, update, delete); what
 * they share is in webhook/, runtime-client.ts, outputs.ts and resource-owner.ts (whose webhooks are whose).
 */
import { TucoError } from "../api/errors";
import { quoteUntrusted, showId } from "../private/text";
import { excludeMemoryFromCoreDumps } from "../secrets/core-dumps";
import { diffWebhook } from "../webhook/diff";
import { DEFAULT_HEALTH_CHECK_POLICY, HEALTH_CHECK_POLICIES, HealthCheckFailedError, SKIPPED_HEALTH_CHECK, checkHealthCheckPolicy, runHealthCheck, type HealthCheckPolicy } from "../webhook/health";
import { PartialCreateError, createWebhook, deleteWebhook, reconcileWebhook } from "../webhook/lifecycle";
import { describeOwner, makeCreateNonce, readDescription, readOwners, withMarker, type Marker } from "../webhook/ownership";
import { checkWebhookId, parseWebhookSpec, validateWebhookSpec, type WebhookField, type WebhookSpec } from "../webhook/spec";
import { lastHealthCheckOf, toOutputs, type WebhookOutputs } from "./outputs";
import { adoptRefusal, checkPulumiOwner, isOwnConfirmedMarker, ownedSpec, ownerOf, settleEarlierCreates, takenOver } from "./resource-owner";
import { api, warn } from "./runtime-client";

// The host process holds the API key and new webhook secrets from here on: a core dump holds neither.
excludeMemoryFromCoreDumps();

export { configure, setSettings, setWarn } from "./runtime-client";
export type { LastHealthCheck, WebhookOutputs } from "./outputs";

/** Pulumi's marker for a value not known during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The spec's fields, in the order `diff` reports them. */
const SPEC_FIELDS: readonly WebhookField[] = ["url", "events", "name", "description", "isActive"];

/** Valid stand-ins validated in place of values not known yet (preview), so only known values can fail. */
const PLACEHOLDERS: Readonly<Record<WebhookField, unknown>> = {
  url: "https://unknown.invalid/",
  events: ["message.sent"],
  name: "unknown",
  description: null,
  isActive: true,
};

type Props = Record<string, unknown>;

function isUnknown(value: unknown): boolean {
  return value === UNKNOWN || (Array.isArray(value) && value.some((v) => v === UNKNOWN));
}

/** Validates inputs with the shared model; unknown values (preview) are passed through unchecked. */
export async function check(_olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
  const probe: Props = {};
  for (const [field, placeholder] of Object.entries(PLACEHOLDERS)) probe[field] = isUnknown(news[field]) ? placeholder : news[field];
  const spec = validateWebhookSpec(probe);
  const policy = isUnknown(news.healthCheck) ? undefined : checkHealthCheckPolicy(news.healthCheck);
  const adoptId = news.adoptId ?? null;
  const adopt = adoptId === null || isUnknown(adoptId) ? undefined : checkWebhookId("adoptId", adoptId);
  const owner = news.owner === undefined || isUnknown(news.owner) ? undefined : checkPulumiOwner(news.owner);
  const failures = [
    ...spec.problems.map((p) => ({ property: p.field, reason: p.message })),
    ...(policy?.problems ?? []).map((p) => ({ property: "healthCheck", reason: p.message })),
    ...(adopt?.problems ?? []).map((p) => ({ property: "adoptId", reason: `${p.message}, or leave adoptId out to create a new webhook` })),
    ...(owner?.problems ?? []).map((p) => ({ property: "owner", reason: p.message })),
  ];
  if (failures.length > 0 || spec.value === undefined) return { inputs: news, failures };

  const keep = (field: WebhookField, value: unknown): unknown => (isUnknown(news[field]) ? news[field] : value);
  const inputs: Props = {
    url: keep("url", spec.value.url),
    events: keep("events", spec.value.events),
    name: keep("name", spec.value.name),
    description: keep("description", spec.value.description),
    isActive: keep("isActive", spec.value.isActive),
    healthCheck: policy?.value ?? news.healthCheck,
    adoptId: adopt?.value ?? adoptId,
    ...(news.owner !== undefined ? { owner: owner?.value ?? news.owner } : {}),
  };
  return { inputs, failures: [] };
}

/** Compares the desired inputs with the last known outputs (live values after a refresh). Never replaces. */
export async function diff(id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  // The marker read on the last refresh (or written by the last apply) must be this resource's own, naming the webhook's id.
  const markerChanged = !isUnknown(news.owner) && !isOwnConfirmedMarker(olds.ownerMarker, ownerOf(news), id);
  return { changes: markerChanged || changedFields(olds, news).length > 0, replaces: [], deleteBeforeReplace: false };
}

/**
 * The fields that differ between state and inputs, in a fixed order: the spec's fields as the shared
 * `diffWebhook` compares them (event order, duplicates and null vs "" never count), then the
 * health-check policy. A value unknown during preview counts as a change.
 */
export function changedFields(olds: Props, news: Props): string[] {
  const asSpec = (p: Props) =>
    ({ url: p.url, events: Array.isArray(p.events) ? p.events : [], name: p.name, description: p.description ?? null, isActive: p.isActive ?? true }) as WebhookSpec;
  const changed = new Set<string>(diffWebhook(asSpec(news), asSpec(olds)).changed);
  const fields: string[] = SPEC_FIELDS.filter((field) => isUnknown(news[field]) || changed.has(field));
  const policy = news.healthCheck ?? DEFAULT_HEALTH_CHECK_POLICY;
  if (isUnknown(policy) || policy !== olds.healthCheck) fields.push("healthCheck");
  return fields;
}

/** An error the host reports as a partial create/update: the webhook exists and these properties go into state. */
export class PartialApplyError extends TucoError {
  readonly code = "PARTIAL_APPLY";
  readonly id: string;
  readonly reasons: string[];
  // A private field behind a getter: the properties hold the secret, and logging or serializing the error must not show it.
  readonly #properties: Props;
  constructor(message: string, id: string, properties: Props) {
    super(message);
    this.id = id;
    this.#properties = properties;
    this.reasons = [message];
  }

  /** What goes into state (the host reads `properties`). Not shown by `util.inspect` or `JSON.stringify`. */
  get properties(): Props {
    return this.#properties;
  }
}

/** A webhook the stack refers to is not in Tuco (an `adoptId`, or one deleted outside Pulumi). */
export class WebhookMissingError extends TucoError {
  readonly code = "ADOPT_FAILED";
}

function policyOf(inputs: Props): HealthCheckPolicy {
  const p = inputs.healthCheck;
  return HEALTH_CHECK_POLICIES.includes(p as HealthCheckPolicy) ? (p as HealthCheckPolicy) : DEFAULT_HEALTH_CHECK_POLICY;
}

/**
 * Runs the health-check under the policy, confirms a new webhook (`spec` given) as this resource's
 * (its marker names its id from then on), then reads it back. The webhook exists by now, so any failure becomes
 * a `PartialApplyError` carrying the outputs (with the secret), and the webhook stays in state:
 * under "fail" a failed check (with its outcome), and any error of a request of these steps.
 */
async function checkConfirmAndRead(outputs: WebhookOutputs, spec: WebhookSpec | undefined, provider: unknown, verb: string): Promise<WebhookOutputs> {
  const id = outputs.webhookId;
  const partial = (message: string, state: WebhookOutputs) => new PartialApplyError(message, id, withProvider(state, provider));
  let outcome = outputs.lastHealthCheck;
  let failed: HealthCheckFailedError | undefined;
  try {
    outcome = await runHealthCheck(api(), { id, url: outputs.url }, outputs.healthCheck, warn);
  } catch (err) {
    if (!(err instanceof HealthCheckFailedError)) {
      const why = err instanceof Error ? err.message : String(err);
      throw partial(`Webhook ${showId(id)} was ${verb}, but checking it failed: ${why} The webhook is kept in the stack's state (with its secret); the next \`pulumi up\` checks it again.`, outputs);
    }
    failed = err;
    outcome = err.outcome;
  }
  try {
    // A new webhook still carries its pending marker: only its description changes.
    if (spec) await api().update(id, { description: ownedSpec(spec, outputs.owner, id).description ?? "" });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw partial(`Webhook ${showId(id)} was ${verb}, but marking it as this resource's failed: ${why} The webhook is kept in the stack's state (with its secret); the next \`pulumi up\` marks it.`, { ...outputs, lastHealthCheck: outcome });
  }
  const read = await withLiveValues({ ...outputs, lastHealthCheck: outcome }).catch((err: unknown) => {
    if (failed) return { ...outputs, lastHealthCheck: outcome };
    const why = err instanceof Error ? err.message : String(err);
    throw partial(`Webhook ${showId(id)} was ${verb}, but reading it back failed: ${why} The webhook is kept in the stack's state (with its secret); the next \`pulumi up\` reads it again.`, { ...outputs, lastHealthCheck: outcome });
  });
  if (failed) throw partial(`${failed.message} The webhook was ${verb} and is kept in the stack's state (with its secret); the next \`pulumi up\` checks it again.`, read);
  return read;
}

/**
 * The outputs with Tuco's own view of the webhook (updatedAt, counters touched by the
 * health-check, the marker), so a `refresh` right after an apply finds nothing changed.
 */
async function withLiveValues(outputs: WebhookOutputs): Promise<WebhookOutputs> {
  const live = await api().tryGet(outputs.webhookId);
  if (!live) return outputs;
  return toOutputs(live, outputs);
}

function withProvider(outputs: WebhookOutputs, provider: unknown): Props {
  // The host adds __provider only to successful results; a partial result needs it for later read/delete.
  return provider === undefined ? { ...outputs } : { ...outputs, __provider: provider };
}

/**
 * Creates the webhook (or adopts `adoptId`), health-checks it and confirms it as this resource's.
 * The create carries a per-create value in its marker, so a lost answer finds exactly this
 * create's webhook; a webhook this resource's stopped creates left is deleted first. If the webhook
 * was made but a later step failed, the error carries `id` and `properties`: the host reports a
 * partial create.
 */
export async function create(inputs: Props): Promise<{ id: string; outs: WebhookOutputs }> {
  const spec = parseWebhookSpec(inputs);
  const healthCheck = policyOf(inputs);
  const owner = ownerOf(inputs);
  const adoptId = typeof inputs.adoptId === "string" && inputs.adoptId !== "" ? inputs.adoptId : null;
  let outputs: WebhookOutputs;
  if (adoptId !== null) {
    const live = await api().tryGet(adoptId);
    if (!live) {
      throw new WebhookMissingError(`adoptId ${JSON.stringify(adoptId)}: no such webhook in this API key's workspace. Check the id (tuco-webhooks list) or remove adoptId to create a new webhook.`);
    }
    const [found] = readOwners([live]);
    const refusal = adoptRefusal(found, owner);
    if (refusal) throw new WebhookMissingError(`adoptId ${JSON.stringify(adoptId)}: not adopting webhook ${showId(live.id)} (${quoteUntrusted(live.url)}): ${refusal}.`);
    const { webhook } = await reconcileWebhook(api(), ownedSpec(spec, owner, live.id), live);
    warn(
      `Adopted existing webhook ${adoptId} (${quoteUntrusted(webhook.url)}). Its signing secret is unknown (Tuco returns it only once, at creation): the \`secret\` output is "". ` +
        `If you no longer have the secret, remove adoptId and replace the webhook to get a new one.`,
    );
    outputs = toOutputs(webhook, { secret: "", healthCheck, adoptId, lastHealthCheck: SKIPPED_HEALTH_CHECK, owner });
  } else {
    await settleEarlierCreates(owner);
    const nonce = makeCreateNonce(spec, api().serverNow()); // Tuco's time: settleEarlierCreates listed first
    const pending: Marker = { owner: { tool: "pulumi", ...owner }, pending: nonce };
    let created;
    try {
      created = await createWebhook(api(), { ...spec, description: withMarker(spec.description, pending) }, warn, {
        isThisCreate: (w) => readDescription(w.description).marker?.pending === nonce,
      });
    } catch (err) {
      if (!(err instanceof PartialCreateError)) throw err;
      const partial = toOutputs(err.state.webhook, { secret: err.state.secret, healthCheck, adoptId, lastHealthCheck: SKIPPED_HEALTH_CHECK, owner });
      throw new PartialApplyError(err.message, partial.webhookId, withProvider(partial, inputs.__provider));
    }
    outputs = toOutputs(created.webhook, { secret: created.secret, healthCheck, adoptId, lastHealthCheck: SKIPPED_HEALTH_CHECK, owner });
  }
  outputs = await checkConfirmAndRead(outputs, adoptId ? undefined : spec, inputs.__provider, adoptId ? "adopted" : "created");
  if (adoptId !== null && !isOwnConfirmedMarker(outputs.ownerMarker, owner, outputs.webhookId)) {
    // Two adopters of one webhook at once (resources of one `up` run in parallel): the last PATCH won, and it was not this one.
    const now = readDescription(outputs.ownerMarker || null).marker?.owner;
    throw new WebhookMissingError(
      `adoptId ${JSON.stringify(adoptId)}: webhook ${showId(outputs.webhookId)} was taken over by ${now ? describeOwner(now) : "someone else"} while this resource adopted it: not adopting it. Give each webhook to one resource, then run \`pulumi up\` again.`,
    );
  }
  return { id: outputs.webhookId, outs: outputs };
}

/** Live values for every field; the secret and settings carried over from state. A webhook gone from Tuco reads as gone (empty id). */
export async function read(id: string, props: Props = {}): Promise<{ id: string; props: Props }> {
  const live = await api().tryGet(id);
  if (!live) return { id: "", props: {} };
  const outputs = toOutputs(live, {
    secret: typeof props.secret === "string" ? props.secret : "",
    healthCheck: policyOf(props),
    adoptId: typeof props.adoptId === "string" ? props.adoptId : null,
    lastHealthCheck: lastHealthCheckOf(props.lastHealthCheck),
    owner: ownerOf(props),
  });
  return { id: live.id, props: { ...outputs } };
}

/**
 * PATCHes only what differs from the live webhook (its marker restored when edited away), then
 * health-checks it again. A webhook that another tool or resource now provably owns is left alone.
 */
export async function update(id: string, olds: Props, news: Props): Promise<{ outs: WebhookOutputs }> {
  const spec = parseWebhookSpec(news);
  const owner = ownerOf(news);
  const live = await api().tryGet(id);
  if (!live) {
    throw new WebhookMissingError(`Webhook ${showId(id)} no longer exists in Tuco (deleted outside Pulumi). Run \`pulumi refresh\` to drop it from state, then \`pulumi up\` to create it again.`);
  }
  const taken = takenOver(live, ownerOf(olds), owner);
  if (taken) {
    throw new WebhookMissingError(
      `Webhook ${showId(id)} is now managed by ${describeOwner(taken)}, not by this resource: not changing it. Remove it from this stack (pulumi state delete <urn>), or remove that marker from its description in the Tuco app.`,
    );
  }
  const { webhook } = await reconcileWebhook(api(), ownedSpec(spec, owner, id), live);
  const outputs = toOutputs(webhook, {
    secret: typeof olds.secret === "string" ? olds.secret : "",
    healthCheck: policyOf(news),
    adoptId: typeof olds.adoptId === "string" ? olds.adoptId : null,
    lastHealthCheck: SKIPPED_HEALTH_CHECK,
    owner,
  });
  return { outs: await checkConfirmAndRead(outputs, undefined, news.__provider, "updated") };
}

/**
 * Deletes the webhook; one that is already gone counts as deleted. One that another tool or
 * resource has since taken over is left to it: the resource leaves the state, the webhook stays.
 */
export async function remove(id: string, props: Props = {}): Promise<void> {
  const live = await api().tryGet(id);
  if (!live) return;
  const taken = takenOver(live, ownerOf(props));
  if (taken) {
    warn(`Not deleting webhook ${showId(id)} (${quoteUntrusted(live.url)}): it is now managed by ${describeOwner(taken)}, not by this resource. It leaves this stack's state and stays in Tuco.`);
    return;
  }
  await deleteWebhook(api(), id);
}
