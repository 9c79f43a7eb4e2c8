/** What the CLI tests share beyond test/helpers/{process,age,receiver}.ts: one emulator workspace per key, and the API called straight. */

/** Tagged or untagged webhooks made straight through the API, as another tool or a person would. */
export async function seedWebhook(apiUrl: string, apiKey: string, body: { url: string; events: string[]; name: string; description?: string }): Promise<string> {
  const { request } = await import("undici");
  const res = await request(`${apiUrl}/api/webhooks`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.body.json()) as { id: string };
  if (res.statusCode !== 201) throw new Error(`seeding failed: ${res.statusCode} ${JSON.stringify(json)}`);
  return json.id;
}

/** The workspace's webhooks, straight from the API. */
export async function listWebhooks(apiUrl: string, apiKey: string): Promise<{ id: string; name: string; url: string; events: string[]; description: string | null; isActive: boolean; createdAt: string }[]> {
  const { request } = await import("undici");
  const res = await request(`${apiUrl}/api/webhooks`, { headers: { authorization: `Bearer ${apiKey}` } });
  return ((await res.body.json()) as { webhooks: never[] }).webhooks;
}

let keyCounter = 0;
/** A fresh API key: each one is its own emulator workspace, so tests never see each other's webhooks. */
export function freshKey(): string {
  keyCounter += 1;
  return `tuco_sk_cli_${process.pid}_${keyCounter}_${Math.random().toString(36).slice(2, 10)}`;
}

/** The emulator's request log for one API key's workspace. */
export async function requestsOf(control: { requests(): Promise<{ method: string; path: string; status: number; body?: unknown; workspace?: string }[]> }, apiKey: string) {
  const { createHash } = await import("node:crypto");
  const label = createHash("sha256").update(apiKey).digest("hex").slice(0, 8);
  return (await control.requests()).filter((r) => r.workspace === label);
}

/** The requests of a log that write: POST, PATCH, DELETE. */
export const writes = <T extends { method: string }>(log: T[]) => log.filter((r) => r.method !== "GET");
