/**
 * Adopting: putting an existing webhook under a stack instance's ownership on purpose (the CLI's
 * `adopt`, a construct's `adoptId`), refused for a webhook another tool, stack or key provably owns.
 */
import type { TucoClient } from "../api/client";
import { quoteUntrusted, showId } from "../private/text";
import { OwnershipError, describeWebhook } from "./apply-result";
import type { Log } from "./lifecycle";
import { confirmedMarker, describeOwner, isStackOwner, readOwners, withMarker, withoutMarkerLikeText, type OwnedWebhook, type StackOwner } from "./ownership";
import { createStillRunning, keyWebhooks } from "./stack-webhooks";

/** Why an adopt is refused, or undefined when the webhook may be taken over by `owner`. */
function adoptRefusal(w: OwnedWebhook, owner: StackOwner, tucoNow: number): string | undefined {
  const named = w.marker?.owner;
  if (!named || (w.claim !== "owned" && w.claim !== "pending")) return undefined; // unmarked, a copy, a 0.1 marker, unreadable: nobody provably owns it
  if (w.claim === "pending" && createStillRunning(w, tucoNow)) {
    // Its run would confirm it with its own marker next, undoing the adoption.
    return `a create of ${describeOwner(named)} is still at work on it (it is not yet confirmed): let that run finish, or stop it, then adopt again`;
  }
  if (named.tool === "pulumi") return `it is managed by ${describeOwner(named)}: remove it from that Pulumi stack first (or remove the marker line from its description in the Tuco app)`;
  if (named.stack !== owner.stack) return `it is managed by ${describeOwner(named)}: adopting it would make two stacks manage one webhook`;
  if (named.key !== owner.key) return `it is this stack's webhook for key ${named.key}`;
  return undefined; // this stack and key under another instance: a lost Terraform state, taken over on purpose
}

/**
 * Puts an existing webhook under a stack instance's ownership (its confirmed marker, the user's
 * description kept) and, with a declaration, patches it to match. Refuses a webhook another tool,
 * another stack or another key provably owns. Its secret stays unknown unless `sealedSecretPath`
 * already holds it. `adopted` is false when the webhook already carried this instance's marker.
 * The one line logged says what was done; `note` ends the line of an adoption (what became of its secret).
 */
export async function adoptWebhook(client: TucoClient, owner: StackOwner, id: string, log: Log = () => {}, note?: string): Promise<{ owned: OwnedWebhook; adopted: boolean }> {
  const owners = readOwners(await client.list());
  const found = owners.find((o) => o.webhook.id === id);
  const live = found?.webhook ?? (await client.tryGet(id));
  if (!live) throw new OwnershipError(`Webhook ${showId(id)} does not exist in this API key's workspace: check the id (tuco-webhooks list).`, [id]);
  const [w] = found ? [found] : readOwners([live]);
  const refusal = adoptRefusal(w, owner, client.serverNow());
  if (refusal) throw new OwnershipError(`Not adopting webhook ${describeWebhook(w)} for stack ${owner.stack} key ${owner.key}: ${refusal}.`, [id]);
  if (w.claim === "owned" && isStackOwner(w.marker?.owner, owner)) {
    log(`webhook ${showId(live.id)} already carries the marker of stack ${owner.stack} key ${owner.key} instance ${owner.instance}: nothing to adopt`);
    return { owned: w, adopted: false };
  }
  const already = keyWebhooks(owners, owner).own.filter((o) => o.webhook.id !== live.id);
  if (already.length > 0) {
    // Two webhooks of one key: the next apply would delete one of them as a duplicate.
    throw new OwnershipError(
      `Not adopting webhook ${describeWebhook(w)} for stack ${owner.stack} key ${owner.key}: that key already owns webhook ${describeWebhook(already[0])}. ` +
        `Adopt it under another key, or delete ${showId(already[0].webhook.id)} first (tuco-webhooks delete --id ${showId(already[0].webhook.id)} --force).`,
      [already[0].webhook.id],
    );
  }
  // A broken or second marker in the text (what makes a description unreadable) goes: the one marker is put back.
  const { text, removed } = withoutMarkerLikeText(w.description);
  if (removed.length > 0) log(`removed text that looked like an ownership marker from its description: ${removed.map((r) => quoteUntrusted(r)).join(", ")}`);
  const description = withMarker(text, confirmedMarker(owner, live.id));
  await client.update(live.id, { description });
  const previous = w.marker ? ` (it carried the marker of ${describeOwner(w.marker.owner)})` : "";
  log(`adopted webhook ${showId(live.id)}${previous}: it now carries the marker of stack ${owner.stack} key ${owner.key} instance ${owner.instance}${note ? `; ${note}` : ""}`);
  return { owned: { webhook: { ...live, description }, description: text, marker: confirmedMarker(owner, live.id), claim: "owned" }, adopted: true };
}
