/**
 * Removing a stack instance's webhooks by their ownership marker: one key's (a destroy
 * provisioner) or every one whose key the stack no longer declares (the prune resource). Only what
 * the instance provably owns (its confirmed webhooks and its unfinished creates) is touched; one
 * already gone counts as deleted; safe to re-run.
 */
import type { TucoClient } from "../api/client";
import { quoteUntrusted, showId } from "../private/text";
import { deleteWebhook, type Log } from "./lifecycle";
import { readOwners, type StackOwner } from "./ownership";
import { instanceWebhooks, keyWebhooks } from "./stack-webhooks";

/** One webhook that was deleted or kept. */
export interface RemovedWebhook {
  readonly id: string;
  readonly name: string;
  readonly key: string;
}

/** Deletes the webhooks of one stack instance's key (and its unfinished creates). Returns those deleted (none: already gone). */
export async function deleteOwned(client: TucoClient, owner: StackOwner, log: Log = () => {}): Promise<RemovedWebhook[]> {
  const { own, pending } = keyWebhooks(readOwners(await client.list()), owner);
  const deleted: RemovedWebhook[] = [];
  for (const t of [...own, ...pending]) {
    if ((await deleteWebhook(client, t.webhook.id)) === "deleted") {
      deleted.push({ id: t.webhook.id, name: t.webhook.name, key: owner.key });
      log(`deleted webhook ${showId(t.webhook.id)} (${quoteUntrusted(t.webhook.name)})`);
    } else {
      log(`webhook ${showId(t.webhook.id)} was already gone`);
    }
  }
  return deleted;
}

/**
 * Deletes the stack instance's webhooks whose key is not in `keep`; returns what was deleted and
 * what was kept. `reason` ends each deletion's line (why the key goes).
 */
export async function pruneStack(
  client: TucoClient,
  instance: Omit<StackOwner, "key">,
  keep: ReadonlySet<string>,
  log: Log = () => {},
  reason = `stack ${instance.stack} no longer declares it`,
): Promise<{ deleted: RemovedWebhook[]; kept: RemovedWebhook[] }> {
  const deleted: RemovedWebhook[] = [];
  const kept: RemovedWebhook[] = [];
  for (const [key, { own, pending }] of instanceWebhooks(readOwners(await client.list()), instance)) {
    for (const t of [...own, ...pending]) {
      const entry = { id: t.webhook.id, name: t.webhook.name, key };
      if (keep.has(key)) {
        kept.push(entry);
      } else if ((await deleteWebhook(client, entry.id)) === "deleted") {
        deleted.push(entry);
        log(`deleted webhook ${showId(entry.id)} (${quoteUntrusted(entry.name)}, key ${key}): ${reason}`);
      } else {
        log(`webhook ${showId(entry.id)} (key ${key}) was already gone`);
      }
    }
  }
  return { deleted, kept };
}
