/**
 * Drift of a stack instance's declared webhooks against the live ones (found by their ownership
 * marker), and putting the live state back. Terraform's plan cannot see changes made in the Tuco
 * app to webhooks managed through provisioners: this is what sees them. A drift check reads only.
 */
import type { TucoClient } from "../api/client";
import { showId } from "../private/text";
import { applyDeclaration, ownedDiff, ownedPatch, sealedIdAt } from "./apply";
import type { WebhookDeclaration } from "./declaration";
import { deleteWebhook, type Log } from "./lifecycle";
import { readOwners, type StackOwner } from "./ownership";
import type { WebhookField } from "./spec";
import { createStillRunning, instanceWebhooks, keyWebhooks, lookalikes } from "./stack-webhooks";

/**
 * How one declared or owned webhook compares: `unfinished` is a create that never confirmed (its
 * secret was never sealed); `in-the-way` names a webhook that is not provably this instance's but
 * claims its key or looks like its webhook (another instance's, a 0.1 marker, a copied marker, an
 * unmarked look-alike with the same url and name).
 */
export type DriftStatus = "in-sync" | "drifted" | "missing" | "unfinished" | "in-the-way" | "undeclared" | "duplicate";

/** One declared or owned webhook and how it compares. */
export interface DriftEntry {
  readonly key: string;
  readonly status: DriftStatus;
  /** The live webhook's id (null when missing). */
  readonly id: string | null;
  readonly changes: { field: WebhookField; live: unknown; declared: unknown }[];
  /** For `unfinished`: what apply does with it. `confirm`: the sealed file here holds its secret; `replace`: nobody does, it is deleted (and created again when the key owns nothing else); `wait`: its create is still running elsewhere. */
  readonly finish?: "confirm" | "replace" | "wait";
}

/** The whole comparison of a stack instance. */
export interface DriftReport {
  readonly stack: string;
  /** The stack instance compared (undefined: the stack has no instance yet, so it owns nothing). */
  readonly instance: string | undefined;
  readonly inSync: boolean;
  readonly webhooks: DriftEntry[];
}

/** Compares a stack instance's declared webhooks with the live workspace. Reads only (one list). */
export async function checkDrift(client: Pick<TucoClient, "list" | "serverNow">, stack: string, instance: string | undefined, declared: readonly WebhookDeclaration[]): Promise<DriftReport> {
  const owners = readOwners(await client.list());
  const tucoNow = client.serverNow();
  const entries: DriftEntry[] = [];
  for (const want of declared) {
    const { key } = want.owner;
    const owner: StackOwner = { stack, key, instance: instance ?? "" };
    const { own, pending, foreign } = instance === undefined ? { own: [], pending: [], foreign: keyWebhooks(owners, owner).foreign } : keyWebhooks(owners, owner);
    const [live, ...duplicates] = own;
    // Creates that were stopped (not one still at work), also beside the key's own webhook: each an active webhook nobody holds the secret of.
    const sealedId = await sealedIdAt(want.seal.path);
    for (const w of pending.filter((p) => !createStillRunning(p, tucoNow))) {
      entries.push({ key, status: "unfinished", id: w.webhook.id, changes: [], finish: !live && w.webhook.id === sealedId ? "confirm" : "replace" });
    }
    if (!live) {
      const blocking = [...foreign, ...lookalikes(owners, want.spec, new Set(foreign.map((w) => w.webhook.id)))];
      if (pending.length > 0) {
        if (pending.every((p) => createStillRunning(p, tucoNow))) entries.push({ key, status: "unfinished", id: pending[0].webhook.id, changes: [], finish: "wait" });
      } else if (blocking.length > 0) for (const w of blocking) entries.push({ key, status: "in-the-way", id: w.webhook.id, changes: [] });
      else entries.push({ key, status: "missing", id: null, changes: [] });
      continue;
    }
    const changes = ownedDiff(want, live).map((field) => ({ field, live: field === "description" ? live.description : live.webhook[field], declared: want.spec[field] }));
    entries.push({ key, status: changes.length ? "drifted" : "in-sync", id: live.webhook.id, changes });
    for (const dup of duplicates) entries.push({ key, status: "duplicate", id: dup.webhook.id, changes: [] });
  }
  if (instance !== undefined) {
    const keys = new Set(declared.map((d) => d.owner.key));
    const byKey = instanceWebhooks(owners, { stack, instance });
    for (const key of [...byKey.keys()].sort()) {
      if (keys.has(key)) continue;
      const { own, pending } = byKey.get(key)!;
      for (const w of [...own, ...pending]) entries.push({ key, status: "undeclared", id: w.webhook.id, changes: [] });
    }
  }
  return { stack, instance, inSync: entries.every((e) => e.status === "in-sync"), webhooks: entries };
}

/**
 * Puts the live state back to the declaration: PATCHes drifted webhooks, deletes undeclared ones
 * (this instance's only) and duplicates (keeping the one whose secret the sealed file here holds),
 * and creates missing or unfinished ones exactly as `applyDeclaration` does, which refuses to
 * create beside a webhook in the way. Every step is idempotent.
 */
export async function fixDrift(
  client: TucoClient,
  declared: readonly WebhookDeclaration[],
  report: DriftReport,
  options: { instance: string; log?: Log; onSecret?: (secret: string) => void },
): Promise<void> {
  const log = options.log ?? (() => {});
  const byKey = new Map(declared.map((d) => [d.owner.key, d]));
  const owner = (key: string): StackOwner => ({ stack: report.stack, key, instance: options.instance });
  // Keys the whole lifecycle must settle: create what is missing or unfinished (refused beside a webhook in the way), keep one of duplicates.
  const toApply = new Set<string>();
  for (const e of report.webhooks) {
    if (e.status === "drifted") {
      const fields = e.changes.map((c) => c.field);
      await client.update(e.id!, ownedPatch(byKey.get(e.key)!, owner(e.key), e.id!, fields));
      log(`updated webhook ${showId(e.id!)} (key ${e.key}): ${fields.join(", ")}`);
    } else if (e.status === "undeclared") {
      await deleteWebhook(client, e.id!);
      log(`deleted webhook ${showId(e.id!)} (key ${e.key}): owned by this stack instance but no longer declared`);
    } else if (e.status !== "in-sync") {
      toApply.add(e.key);
    }
  }
  // The lifecycle logs each of its actions itself, one line each, as `tuco-webhooks apply` does.
  for (const key of toApply) await applyDeclaration(client, byKey.get(key)!, { instance: options.instance, log, onSecret: options.onSecret });
}
