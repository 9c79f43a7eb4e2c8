/**
 * What the Webhook dynamic provider runs. The serialized `webhookProvider` (provider.ts) loads this
 * module at run time inside Pulumi's dynamic-provider host (`require("tuco-webhooks/pulumi/engine")`),
 * so `refresh` and `destroy` always run the installed code, never a copy frozen in state.
 * It maps the engine's calls onto the shared model (`webhook/`) and the API client (`api/`), and
 * adds only what is Pulumi's own: preview's unknown values, the config keys, partial creates.
 */
import { TucoError } from "../api/errors";
import { diffWebhook } from "../webhook/diff";
import { DEFAULT_HEALTH_CHECK_POLICY, HEALTH_CHECK_POLICIES, HealthCheckFailedError, SKIPPED_HEALTH_CHECK, checkHealthCheckPolicy, runHealthCheck, type HealthCheckPolicy } from "../webhook/health";
import { PartialCreateError, createWebhook, deleteWebhook, reconcileWebhook } from "../webhook/lifecycle";
import { checkWebhookId, parseWebhookSpec, validateWebhookSpec, type WebhookField, type WebhookSpec } from "../webhook/spec";
import { lastHealthCheckOf, toOutputs, type WebhookOutputs } from "./outputs";
import { api, warn } from "./runtime-client";

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
  const failures = [
    ...spec.problems.map((p) => ({ property: p.field, reason: p.message })),
    ...(policy?.problems ?? []).map((p) => ({ property: "healthCheck", reason: p.message })),
    ...(adopt?.problems ?? []).map((p) => ({ property: "adoptId", reason: `${p.message}, or leave adoptId out to create a new webhook` })),
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
  };
  return { inputs, failures: [] };
}

/** Compares the desired inputs with the last known outputs (live values after a refresh). Never replaces. */
export async function diff(_id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  return { changes: changedFields(olds, news).length > 0, replaces: [], deleteBeforeReplace: false };
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
 * Runs the health-check under the inputs' policy, then reads the webhook back. The webhook exists
 * by now, so any failure becomes a `PartialApplyError` carrying `outputs` (with the secret), and the
 * webhook stays in state: under "fail" a failed check (with its outcome), and any error of the
 * check's or the read-back's request (else a new webhook would be orphaned with its secret lost).
 */
async function healthCheckOrPartial(outputs: WebhookOutputs, provider: unknown, verb: string): Promise<WebhookOutputs> {
  try {
    const outcome = await runHealthCheck(api(), { id: outputs.webhookId, url: outputs.url }, outputs.healthCheck, warn);
    return await withLiveValues({ ...outputs, lastHealthCheck: outcome });
  } catch (err) {
    if (!(err instanceof HealthCheckFailedError)) {
      const why = err instanceof Error ? err.message : String(err);
      throw new PartialApplyError(
        `Webhook ${outputs.webhookId} was ${verb}, but checking it failed: ${why} The webhook is kept in the stack's state (with its secret); the next \`pulumi up\` checks it again.`,
        outputs.webhookId,
        withProvider(outputs, provider),
      );
    }
    const failed = await withLiveValues({ ...outputs, lastHealthCheck: err.outcome }).catch(() => ({ ...outputs, lastHealthCheck: err.outcome }));
    throw new PartialApplyError(
      `${err.message} The webhook was ${verb} and is kept in the stack's state (with its secret); the next \`pulumi up\` checks it again.`,
      outputs.webhookId,
      withProvider(failed, provider),
    );
  }
}

/**
 * The outputs with Tuco's own view of the webhook (updatedAt, counters touched by the
 * health-check), so a `refresh` right after an apply finds nothing changed.
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
 * Creates the webhook (or adopts `adoptId`), then health-checks it. If the webhook was made but a
 * later step failed, the error carries `id` and `properties`: the host reports a partial create.
 */
export async function create(inputs: Props): Promise<{ id: string; outs: WebhookOutputs }> {
  const spec = parseWebhookSpec(inputs);
  const healthCheck = policyOf(inputs);
  const adoptId = typeof inputs.adoptId === "string" && inputs.adoptId !== "" ? inputs.adoptId : null;
  let outputs: WebhookOutputs;
  if (adoptId !== null) {
    const live = await api().tryGet(adoptId);
    if (!live) {
      throw new WebhookMissingError(`adoptId ${JSON.stringify(adoptId)}: no such webhook in this API key's workspace. Check the id (tuco-webhooks list) or remove adoptId to create a new webhook.`);
    }
    const { webhook } = await reconcileWebhook(api(), spec, live);
    warn(
      `Adopted existing webhook ${adoptId} (${webhook.url}). Its signing secret is unknown (Tuco returns it only once, at creation): the \`secret\` output is "". ` +
        `If you no longer have the secret, remove adoptId and replace the webhook to get a new one.`,
    );
    outputs = toOutputs(webhook, { secret: "", healthCheck, adoptId, lastHealthCheck: SKIPPED_HEALTH_CHECK });
  } else {
    let created;
    try {
      created = await createWebhook(api(), spec, warn);
    } catch (err) {
      if (!(err instanceof PartialCreateError)) throw err;
      const partial = toOutputs(err.state.webhook, { secret: err.state.secret, healthCheck, adoptId, lastHealthCheck: SKIPPED_HEALTH_CHECK });
      throw new PartialApplyError(err.message, partial.webhookId, withProvider(partial, inputs.__provider));
    }
    outputs = toOutputs(created.webhook, { secret: created.secret, healthCheck, adoptId, lastHealthCheck: SKIPPED_HEALTH_CHECK });
  }
  outputs = await healthCheckOrPartial(outputs, inputs.__provider, adoptId ? "adopted" : "created");
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
  });
  return { id: live.id, props: { ...outputs } };
}

/** PATCHes only what differs from the live webhook, then health-checks it again. */
export async function update(id: string, olds: Props, news: Props): Promise<{ outs: WebhookOutputs }> {
  const spec = parseWebhookSpec(news);
  const live = await api().tryGet(id);
  if (!live) {
    throw new WebhookMissingError(`Webhook ${id} no longer exists in Tuco (deleted outside Pulumi). Run \`pulumi refresh\` to drop it from state, then \`pulumi up\` to create it again.`);
  }
  const { webhook } = await reconcileWebhook(api(), spec, live);
  const outputs = toOutputs(webhook, {
    secret: typeof olds.secret === "string" ? olds.secret : "",
    healthCheck: policyOf(news),
    adoptId: typeof olds.adoptId === "string" ? olds.adoptId : null,
    lastHealthCheck: SKIPPED_HEALTH_CHECK,
  });
  return { outs: await healthCheckOrPartial(outputs, news.__provider, "updated") };
}

/** Deletes the webhook; one that is already gone counts as deleted. */
export async function remove(id: string, _props?: Props): Promise<void> {
  await deleteWebhook(api(), id);
}
