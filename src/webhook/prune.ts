/**
 * Removing a stack's webhooks by their ownership marker: one key's (a destroy provisioner) or
 * every one whose key the stack no longer declares (the prune resource). Webhooks without the
 * stack's marker are never touched; one already gone counts as deleted; safe to re-run.
 */
import type { TucoClient } from "../api/client";
import { deleteWebhook, type Log } from "./lifecycle";
import { findOwned, findStackWebhooks, type Owner } from "./ownership";

/** One webhook that was deleted or kept. */
export interface RemovedWebhook {
  readonly id: string;
  readonly name: string;
  readonly key: string;
}

/** Deletes every webhook whose marker is exactly `owner`. Returns those deleted (none: already gone). */
export async function deleteOwned(client: TucoClient, owner: Owner, log: Log = () => {}): Promise<RemovedWebhook[]> {
  const deleted: RemovedWebhook[] = [];
  for (const t of findOwned(await client.list(), owner)) {
    if ((await deleteWebhook(client, t.webhook.id)) === "deleted") {
      deleted.push({ id: t.webhook.id, name: t.webhook.name, key: owner.key });
      log(`deleted webhook ${t.webhook.id} (${JSON.stringify(t.webhook.name)})`);
    } else {
      log(`webhook ${t.webhook.id} was already gone`);
    }
  }
  return deleted;
}

/** Deletes the stack's webhooks whose key is not in `keep`; returns what was deleted and what was kept. */
export async function pruneStack(client: TucoClient, stack: string, keep: ReadonlySet<string>, log: Log = () => {}): Promise<{ deleted: RemovedWebhook[]; kept: RemovedWebhook[] }> {
  const deleted: RemovedWebhook[] = [];
  const kept: RemovedWebhook[] = [];
  for (const t of findStackWebhooks(await client.list(), stack)) {
    const entry = { id: t.webhook.id, name: t.webhook.name, key: t.owner!.key };
    if (keep.has(entry.key)) {
      kept.push(entry);
    } else if ((await deleteWebhook(client, entry.id)) === "deleted") {
      deleted.push(entry);
      log(`deleted webhook ${entry.id} (${JSON.stringify(entry.name)}, key ${entry.key}): stack ${stack} no longer declares it`);
    } else {
      log(`webhook ${entry.id} (key ${entry.key}) was already gone`);
    }
  }
  return { deleted, kept };
}
