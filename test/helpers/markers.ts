/**
 * Webhooks as an earlier apply left them, made straight through the API: confirmed with a stack
 * instance's marker, or still pending (a create that was stopped before it confirmed).
 */
import type { TucoClient } from "../../src/api/client";
import type { CreateWebhookInput } from "../../src/api/types";
import { makeCreateNonce, withMarker, type StackOwner } from "../../src/webhook/ownership";

export { markedStackKey, readDescription, withMarker } from "../../src/webhook/ownership";

let instances = 0;
/** A fresh stack instance id, like the id terraform gives the stack's instance resource. */
export function freshInstance(): string {
  instances += 1;
  return `test-${process.pid}-${instances}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Creates a webhook and confirms it with `owner`'s marker, as apply does; returns its id. */
export async function seedOwned(client: TucoClient, owner: StackOwner, body: CreateWebhookInput): Promise<string> {
  const { id } = await client.create({ ...body, description: withMarker(body.description ?? null, { owner: { tool: "cdktf", ...owner }, pending: makeCreateNonce(body, Date.now()) }) });
  await client.update(id, { description: withMarker(body.description ?? null, { owner: { tool: "cdktf", ...owner }, id }) });
  return id;
}

/** The description a stack instance's webhook `id` carries: the user's text, then its confirmed marker. */
export function ownedDescription(description: string | null, owner: StackOwner, id: string): string {
  return withMarker(description, { owner: { tool: "cdktf", ...owner }, id });
}
