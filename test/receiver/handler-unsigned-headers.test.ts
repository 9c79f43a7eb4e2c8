/**
 * X-Tuco-Signature covers only the raw body (CONTRACT.md: "timestamp not signed"); the
 * X-Tuco-Event and X-Tuco-Timestamp headers are not signed. A VerifiedDelivery must not report an
 * event type an attacker swapped into the unsigned header of a captured (replayed) delivery.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TucoClient } from "../../src/api/client";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { tucoWebhookHandler, type VerifiedDelivery } from "../../src/receiver";

let emulator: RunningEmulator;
let capture: Server;
let captured: { body: Buffer; headers: Record<string, string> } | undefined;
let service: Server;
const delivered: VerifiedDelivery[] = [];
let secret = "";

const listen = (s: Server) => new Promise<number>((r) => s.listen(0, "127.0.0.1", () => r((s.address() as AddressInfo).port)));

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  capture = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      captured = { body: Buffer.concat(chunks), headers: req.headers as Record<string, string> };
      res.end("OK");
    });
  });
  const capturePort = await listen(capture);
  const client = new TucoClient({ apiUrl: emulator.url, apiKey: "tuco_sk_replayed_delivery" });
  const created = await client.create({ url: `http://127.0.0.1:${capturePort}/hook`, events: ["message.sent", "message.reply"], name: "n" });
  secret = created.secret;
  await client.healthCheck(created.id); // a real signed delivery from the emulator
  await client.close();
  service = createServer(tucoWebhookHandler({ secrets: [secret], onDelivery: (d) => void delivered.push(d) }));
});
afterAll(async () => {
  await new Promise<void>((r) => capture.close(() => r()));
  await new Promise<void>((r) => service.close(() => r()));
  await emulator.close();
});

describe("a captured delivery replayed with a swapped X-Tuco-Event header", () => {
  it("is reported with the event and timestamp of its signed body, not of the swapped headers", async () => {
    expect(captured).toBeDefined();
    expect(JSON.parse(captured!.body.toString()).event).toBe("message.sent");
    const port = await listen(service);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: "/tuco", headers: {
        "content-type": "application/json",
        "x-tuco-signature": captured!.headers["x-tuco-signature"],
        "x-tuco-event": "message.reply",
        "x-tuco-timestamp": "2030-01-01T00:00:00.000Z",
      } }, (res) => { res.resume(); res.on("end", () => resolve(res.statusCode ?? 0)); });
      req.on("error", reject);
      req.end(captured!.body);
    });
    // The signature holds (the body is untouched): the delivery reports what the signed body says.
    expect(status).toBe(200);
    expect(delivered).toHaveLength(1);
    expect(delivered[0].event).toBe("message.sent");
    expect(delivered[0].timestamp).toBe(JSON.parse(captured!.body.toString()).timestamp);
  });
});
