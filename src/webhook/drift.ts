/**
 * Drift of a stack's declared webhooks against the live ones it owns (found by their ownership
 * marker), and putting the live state back. Terraform's plan cannot see changes made in the Tuco
 * app to webhooks managed through provisioners: this is what sees them.
 */
import type { TucoClient } from "../api/client";
import { applyDeclaration, ownedPatch } from "./apply";
import type { WebhookDeclaration } from "./declaration";
import { diffWebhook } from "./diff";
import { deleteWebhook, type Log } from "./lifecycle";
import { findStackWebhooks, type OwnedWebhook } from "./ownership";
import type { WebhookField } from "./spec";

/** How one declared or owned webhook compares. */
export type DriftStatus = "in-sync" | "drifted" | "missing" | "undeclared" | "duplicate";

/** One declared or owned webhook and how it compares. */
export interface DriftEntry {
  readonly key: string;
  readonly status: DriftStatus;
  /** The live webhook's id (null when missing). */
  readonly id: string | null;
  readonly changes: { field: WebhookField; live: unknown; declared: unknown }[];
}

/** The whole comparison of a stack. */
export interface DriftReport {
  readonly stack: string;
  readonly inSync: boolean;
  readonly webhooks: DriftEntry[];
}

/** Compares a stack's declared webhooks with the live workspace. Reads only (one list). */
export async function checkDrift(client: Pick<TucoClient, "list">, stack: string, declared: readonly WebhookDeclaration[]): Promise<DriftReport> {
  const byKey = new Map<string, OwnedWebhook[]>();
  for (const t of findStackWebhooks(await client.list(), stack)) byKey.set(t.owner!.key, [...(byKey.get(t.owner!.key) ?? []), t]);
  const entries: DriftEntry[] = [];
  for (const want of declared) {
    const key = want.owner.key;
    const [live, ...duplicates] = byKey.get(key) ?? [];
    byKey.delete(key);
    if (!live) {
      entries.push({ key, status: "missing", id: null, changes: [] });
      continue;
    }
    const diff = diffWebhook(want.spec, { ...live.webhook, description: live.description });
    const changes = diff.changed.map((field) => ({ field, live: field === "description" ? live.description : live.webhook[field], declared: want.spec[field] }));
    entries.push({ key, status: changes.length ? "drifted" : "in-sync", id: live.webhook.id, changes });
    for (const dup of duplicates) entries.push({ key, status: "duplicate", id: dup.webhook.id, changes: [] });
  }
  for (const [key, lives] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const live of lives) entries.push({ key, status: "undeclared", id: live.webhook.id, changes: [] });
  }
  return { stack, inSync: entries.every((e) => e.status === "in-sync"), webhooks: entries };
}

/**
 * Puts the live state back to the declaration: PATCHes drifted webhooks, deletes undeclared ones
 * and duplicates (one already gone counts as deleted), and creates missing ones exactly as
 * `applyDeclaration` does (sealing the new secret). Every step is idempotent.
 */
export async function fixDrift(
  client: TucoClient,
  declared: readonly WebhookDeclaration[],
  report: DriftReport,
  options: { log?: Log; onSecret?: (secret: string) => void } = {},
): Promise<void> {
  const log = options.log ?? (() => {});
  const byKey = new Map(declared.map((d) => [d.owner.key, d]));
  for (const e of report.webhooks) {
    if (e.status === "drifted") {
      const fields = e.changes.map((c) => c.field);
      await client.update(e.id!, ownedPatch(byKey.get(e.key)!, fields));
      log(`patched webhook ${e.key} (${e.id}): ${fields.join(", ")}`);
    } else if (e.status === "undeclared" || e.status === "duplicate") {
      await deleteWebhook(client, e.id!);
      log(`deleted webhook ${e.key} (${e.id}): ${e.status}`);
    } else if (e.status === "missing") {
      const result = await applyDeclaration(client, byKey.get(e.key)!, options);
      log(`${result.action} webhook ${e.key} (${result.id})${result.sealedSecretPath ? `; secret sealed to ${result.sealedSecretPath}` : ""}`);
    }
  }
}
