/**
 * A downstream service that receives Tuco events and verifies `X-Tuco-Signature`.
 *
 *   TUCO_WEBHOOK_SECRET=... PORT=8080 node examples/receiver/server.js
 *
 * The secret comes from wherever your IaC put it: the Pulumi `secret` output (e.g. through a
 * Kubernetes Secret), or the sealed file the CDKTF construct wrote, opened with
 * `age -d -i key.txt crm.age`. During a rotation, list both secrets, comma-separated.
 */
import { createServer, type Server } from "node:http";
import { tucoWebhookHandler, type VerifiedDelivery } from "tuco-webhooks";

/** Starts the receiver; `onEvent` sees each verified delivery. */
export function startExampleReceiver(secrets: string[], port = 0, onEvent: (d: VerifiedDelivery) => void = logEvent): Promise<Server> {
  const server = createServer(
    tucoWebhookHandler({
      secrets,
      onDelivery: onEvent,
      onRejected: (reason, req) => console.warn(`rejected ${req.method} ${req.url}: ${reason}`),
    }),
  );
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

function logEvent(d: VerifiedDelivery): void {
  const test = (d.payload.data as { test?: boolean } | undefined)?.test ? " (health-check ping)" : "";
  console.log(`${d.timestamp} ${d.event}${test} message=${String(d.payload.messageId ?? "-")}`);
}

if (require.main === module) {
  const secrets = (process.env.TUCO_WEBHOOK_SECRET ?? "").split(",").filter(Boolean);
  if (secrets.length === 0) {
    console.error("Set TUCO_WEBHOOK_SECRET to the webhook's signing secret (comma-separate two during a rotation).");
    process.exit(1);
  }
  void startExampleReceiver(secrets, Number(process.env.PORT ?? 8080)).then((s) => console.log(`listening on ${JSON.stringify(s.address())}`));
}
