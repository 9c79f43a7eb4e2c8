/**
 * The health-check after an apply: its policy (`healthCheck`: fail, warn or skip), its outcome
 * (`HealthCheckOutcome`), and running it under the policy.
 */
import { TucoError } from "../api/errors";
import type { HealthCheckResult } from "../api/types";
import { plainUntrusted, showValue } from "../private/text";
import { invalid, valid, type Checked } from "./problems";

/** What to do when the health-check ping after an apply does not get a 2xx: fail the apply, warn, or skip the check. */
export type HealthCheckPolicy = "fail" | "warn" | "skip";

/** The health-check policies, for validation and help texts. */
export const HEALTH_CHECK_POLICIES: readonly HealthCheckPolicy[] = ["fail", "warn", "skip"];

/** The policy of a webhook that declares none. */
export const DEFAULT_HEALTH_CHECK_POLICY: HealthCheckPolicy = "fail";

/**
 * Checks a health-check policy as given; left out (undefined or null) is the default, "fail".
 * `field` names it as the user wrote it.
 */
export function checkHealthCheckPolicy(value: unknown, field = "healthCheck"): Checked<HealthCheckPolicy> {
  if (value === undefined || value === null) return valid(DEFAULT_HEALTH_CHECK_POLICY);
  if (HEALTH_CHECK_POLICIES.includes(value as HealthCheckPolicy)) return valid(value as HealthCheckPolicy);
  return invalid({ field, value, message: `${field} ${showValue(value)} is not a policy: use "fail", "warn" or "skip" (or leave it out for "fail")` });
}

/** The outcome of the health-check after an apply, as both front ends report it. No field is ever undefined. */
export interface HealthCheckOutcome {
  /** False also when the check was skipped (see `skipped`). */
  readonly success: boolean;
  readonly skipped: boolean;
  /** The endpoint's HTTP status, or 0 when it never answered or the check was skipped. */
  readonly statusCode: number;
  /** Why it failed ("" on success or skip). */
  readonly error: string;
  /** ISO-8601 time of the check ("" when skipped). */
  readonly checkedAt: string;
}

/** What a failed health-check found: the webhook, its url, the status and why. Followed by the advice of the policy in force. */
function failureOf(webhookId: string, url: string, outcome: HealthCheckOutcome): string {
  const status = outcome.statusCode ? ` (HTTP ${outcome.statusCode})` : "";
  return `Health-check of webhook ${webhookId} failed: ${url} did not answer the signed test ping with 2xx${status}: ${outcome.error}.`;
}

/** The health-check failed under policy "fail". The webhook exists; `webhookId` says which. */
export class HealthCheckFailedError extends TucoError {
  readonly code = "HEALTH_CHECK_FAILED";
  readonly webhookId: string;
  readonly outcome: HealthCheckOutcome;
  constructor(webhookId: string, url: string, outcome: HealthCheckOutcome) {
    super(`${failureOf(webhookId, url, outcome)} Fix the endpoint and apply again, or set the health-check policy to "warn" or "skip".`);
    this.webhookId = webhookId;
    this.outcome = outcome;
  }
}

/** The warning of a failed health-check under policy "warn": the webhook is kept, so the advice is about the endpoint, not the policy. */
export function healthCheckWarning(webhookId: string, url: string, outcome: HealthCheckOutcome): string {
  return `${failureOf(webhookId, url, outcome)} The webhook is kept, as the health-check policy "warn" says; events delivered to it fail the same way until the endpoint answers 2xx: fix the endpoint.`;
}

/** One line for a log of a health-check that did not fail: it passed (with the endpoint's status) or was skipped. */
export function healthCheckReport(webhookId: string, url: string, outcome: HealthCheckOutcome): string {
  return outcome.skipped
    ? `health-check of webhook ${webhookId} skipped (health-check policy "skip")`
    : `health-check of webhook ${webhookId} passed: ${url} answered the signed test ping with ${outcome.statusCode}`;
}

/** Turns the API's health-check answer into an outcome. */
export function toHealthCheckOutcome(result: HealthCheckResult, checkedAt: Date = new Date()): HealthCheckOutcome {
  // What the endpoint and Tuco said is text from outside: kept, with control and direction characters escaped.
  const error = result.success ? "" : plainUntrusted([result.error, result.details].filter((s) => typeof s === "string" && s !== "").join(": ") || "unknown error");
  return {
    success: result.success === true,
    skipped: false,
    statusCode: typeof result.statusCode === "number" ? result.statusCode : 0,
    error,
    checkedAt: checkedAt.toISOString(),
  };
}

/** The outcome recorded when policy "skip" means no check ran. */
export const SKIPPED_HEALTH_CHECK: HealthCheckOutcome = { success: false, skipped: true, statusCode: 0, error: "", checkedAt: "" };

/**
 * Runs the health-check under a policy. "skip" makes no request. A failed check throws
 * `HealthCheckFailedError` under "fail" and calls `warn` with `healthCheckWarning` under "warn".
 */
export async function runHealthCheck(
  client: { healthCheck(id: string): Promise<HealthCheckResult> },
  webhook: { id: string; url: string },
  policy: HealthCheckPolicy,
  warn: (message: string) => void = () => {},
): Promise<HealthCheckOutcome> {
  if (policy === "skip") return SKIPPED_HEALTH_CHECK;
  const outcome = toHealthCheckOutcome(await client.healthCheck(webhook.id));
  if (!outcome.success) {
    if (policy === "fail") throw new HealthCheckFailedError(webhook.id, webhook.url, outcome);
    warn(healthCheckWarning(webhook.id, webhook.url, outcome));
  }
  return outcome;
}

/**
 * `runHealthCheck` with its result in `log`, one line: passed (with the status) or skipped, or,
 * under "warn", the warning of a failure (prefixed "warning: ").
 */
export async function reportHealthCheck(
  client: { healthCheck(id: string): Promise<HealthCheckResult> },
  webhook: { id: string; url: string },
  policy: HealthCheckPolicy,
  log: (line: string) => void,
): Promise<HealthCheckOutcome> {
  const outcome = await runHealthCheck(client, webhook, policy, (m) => log(`warning: ${m}`));
  if (outcome.success || outcome.skipped) log(healthCheckReport(webhook.id, webhook.url, outcome));
  return outcome;
}
