import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExampleReceiver } from "../../examples/receiver/server";
import { TucoClient } from "../../src/api/client";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { signTucoPayload } from "../../src/receiver/signature";
import type { VerifiedDelivery } from "../../src/receiver/handler";

const KEY = "tuco_sk_receiver_example";
let emulator: RunningEmulator;
let server: Server;
let url: string;
const secrets: string[] = [];
const seen: VerifiedDelivery[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 2000 });
  server = await startExampleReceiver(secrets, 0, (d) => {
    seen.push(d);
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tuco`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await emulator.close();
});

describe("the example receiver (examples/receiver)", () => {
  it("verifies Tuco's health-check ping and real events signed with the webhook's secret", async () => {
    const client = new TucoClient({ apiUrl: emulator.url, apiKey: KEY });
    const created = await client.create({ url, events: ["message.reply"], name: "receiver" });
    secrets.push(created.secret);
    expect(await client.healthCheck(created.id)).toMatchObject({ success: true, statusCode: 200 });
    const deliveries = await new EmulatorControl(emulator.url).fireEvent(KEY, "message.reply");
    expect(deliveries).toEqual([expect.objectContaining({ webhookId: created.id, success: true, statusCode: 200 })]);
    expect(seen.map((d) => [d.event, (d.payload.data as { test?: boolean }).test ?? false])).toEqual([
      ["message.reply", true],
      ["message.reply", false],
    ]);
    expect((await client.get(created.id)).failureCount).toBe(0);
    await client.close();
  });

  it("rejects a ping signed with another secret, and Tuco's health-check reports the 401", async () => {
    const client = new TucoClient({ apiUrl: emulator.url, apiKey: KEY });
    const stranger = await client.create({ url, events: ["message.sent"], name: "stranger" });
    const before = seen.length;
    expect(await client.healthCheck(stranger.id)).toMatchObject({ success: false, statusCode: 401 });
    expect(seen.length).toBe(before);
    await client.close();
  });

  it("rejects a tampered body and a missing signature with 401", async () => {
    const body = JSON.stringify({ event: "message.sent", data: {} });
    const signature = signTucoPayload(body, secrets[0]);
    const post = (b: string, headers: Record<string, string>) =>
      fetch(url, { method: "POST", body: b, headers: { "content-type": "application/json", ...headers } }).then((r) => r.status);
    expect(await post(body, { "x-tuco-signature": signature })).toBe(200);
    expect(await post(body.replace("sent", "failed"), { "x-tuco-signature": signature })).toBe(401);
    expect(await post(body, {})).toBe(401);
  });
});
