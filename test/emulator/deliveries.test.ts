import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { signTucoPayload } from "../../src/receiver/signature";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { startReceiver, type TestReceiver } from "../helpers/receiver";
import { api, closedPort, KEY_A, KEY_B, VALID } from "./helpers";

let emu: RunningEmulator;
let control: EmulatorControl;
const receivers: TestReceiver[] = [];

beforeEach(async () => {
  emu = await startEmulator({ port: 0, deliveryTimeoutMs: 300 });
  control = new EmulatorControl(emu.url);
});
afterEach(async () => {
  await emu.close();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(status: number | "hang", body?: string): Promise<TestReceiver> {
  const r = await startReceiver({ status, body });
  receivers.push(r);
  return r;
}

async function create(url: string, events: string[] = ["message.reply", "message.sent"], key = KEY_A) {
  const r = await api(emu.url, "POST", "/api/webhooks", { key, body: { ...VALID, url, events } });
  expect(r.status).toBe(201);
  return r.body as { id: string; secret: string };
}

async function get(id: string, key = KEY_A) {
  return (await api(emu.url, "GET", `/api/webhooks/${id}`, { key })).body;
}

describe("health-check", () => {
  test("POSTs a signed ping with the first event and passes on 2xx", async () => {
    const rcv = await receiver(200, "OK");
    const { id, secret } = await create(rcv.url);
    const arrived = rcv.next();
    const r = await api(emu.url, "POST", `/api/webhooks/${id}/health-check`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true, message: "Health check passed", statusCode: 200, response: "OK" });

    const got = await arrived;
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["x-tuco-signature"]).toBe(signTucoPayload(got.rawBody, secret));
    expect(got.headers["x-tuco-event"]).toBe("message.reply");
    const body = JSON.parse(got.rawBody);
    expect(Object.keys(body)).toEqual(["event", "timestamp", "workspaceId", "data"]);
    expect(body).toEqual({
      event: "message.reply",
      timestamp: got.headers["x-tuco-timestamp"],
      workspaceId: expect.stringMatching(/^org_[0-9a-f]+$/),
      data: { test: true, message: "This is a health check test webhook from Tuco AI" },
    });
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    expect(body.workspaceId).not.toContain(KEY_A.slice(8));
  });

  test("keeps workspaceId stable per workspace and distinct between workspaces", async () => {
    const rcv = await receiver(204, "");
    const a1 = await create(rcv.url);
    const a2 = await create(rcv.url);
    const b = await create(rcv.url, undefined, KEY_B);
    for (const [id, key] of [[a1.id, KEY_A], [a2.id, KEY_A], [b.id, KEY_B]] as const) {
      const arrived = rcv.next();
      expect((await api(emu.url, "POST", `/api/webhooks/${id}/health-check`, { key })).body.success).toBe(true);
      await arrived;
    }
    const ids = rcv.received.map((g) => JSON.parse(g.rawBody).workspaceId);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  test("fails with HTTP <code>: <reason> and the body as details against a 500 receiver", async () => {
    const rcv = await receiver(500, "database down");
    const { id } = await create(rcv.url);
    const r = await api(emu.url, "POST", `/api/webhooks/${id}/health-check`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: false, error: "HTTP 500: Internal Server Error", details: "database down", statusCode: 500 });
  });

  test("truncates the echoed receiver body to 1000 characters", async () => {
    const rcv = await receiver(200, "x".repeat(5000));
    const { id } = await create(rcv.url);
    expect((await api(emu.url, "POST", `/api/webhooks/${id}/health-check`)).body.response).toHaveLength(1000);
  });

  test("fails with the timeout message against a receiver that never answers", async () => {
    const rcv = await receiver("hang");
    const { id } = await create(rcv.url);
    const r = await api(emu.url, "POST", `/api/webhooks/${id}/health-check`);
    expect(r.body).toEqual({ success: false, error: "The operation was aborted due to timeout" });
  });

  test("fails with fetch failed and the cause against a closed port", async () => {
    const port = await closedPort();
    const { id } = await create(`http://127.0.0.1:${port}/hook`);
    const r = await api(emu.url, "POST", `/api/webhooks/${id}/health-check`);
    expect(r.body).toEqual({ success: false, error: "fetch failed", details: expect.stringContaining("ECONNREFUSED") });
  });

  test("runs on a paused webhook and leaves the delivery stats untouched", async () => {
    const rcv = await receiver(500, "no");
    const { id } = await create(rcv.url);
    await api(emu.url, "PATCH", `/api/webhooks/${id}`, { body: { isActive: false } });
    const before = await get(id);
    expect((await api(emu.url, "POST", `/api/webhooks/${id}/health-check`)).body.success).toBe(false);
    expect(rcv.received).toHaveLength(1);
    expect(await get(id)).toEqual(before);
  });
});

describe("fired events", () => {
  test("delivers a signed event and records success, then failure, on the webhook", async () => {
    const rcv = await receiver(200, "");
    const { id, secret } = await create(rcv.url, ["message.sent"]);

    const first = await control.fireEvent(KEY_A, "message.sent", { campaign: "spring" });
    expect(first).toEqual([{ webhookId: id, url: rcv.url, success: true, statusCode: 200 }]);
    const got = rcv.received[0];
    expect(got.headers["x-tuco-signature"]).toBe(signTucoPayload(got.rawBody, secret));
    expect(got.headers["x-tuco-event"]).toBe("message.sent");
    const payload = JSON.parse(got.rawBody);
    expect(payload).toMatchObject({
      event: "message.sent",
      timestamp: got.headers["x-tuco-timestamp"],
      workspaceId: expect.stringMatching(/^org_/),
      messageId: expect.any(String),
      message: expect.any(Object),
      leadId: expect.any(String),
      lead: expect.any(Object),
      data: { campaign: "spring" },
    });
    const ok = await get(id);
    expect(ok).toMatchObject({ failureCount: 0, lastFailureAt: null });
    expect(ok.lastSuccessAt).toBe(ok.lastTriggeredAt);

    rcv.status = 503;
    const second = await control.fireEvent(KEY_A, "message.sent");
    expect(second).toEqual([{ webhookId: id, url: rcv.url, success: false, statusCode: 503, error: "HTTP 503: Service Unavailable" }]);
    await control.fireEvent(KEY_A, "message.sent");
    const failing = await get(id);
    expect(failing.failureCount).toBe(2);
    expect(failing.lastFailureAt).toBe(failing.lastTriggeredAt);
    expect(failing.lastSuccessAt).toBe(ok.lastSuccessAt);

    rcv.status = 200;
    await control.fireEvent(KEY_A, "message.sent");
    expect((await get(id)).failureCount).toBe(0);
  });

  test("skips inactive and unsubscribed webhooks and other workspaces", async () => {
    const rcv = await receiver(200, "ok");
    const subscribed = await create(rcv.url, ["message.failed"]);
    const paused = await create(rcv.url, ["message.failed"]);
    const other = await create(rcv.url, ["message.opened"]);
    const foreign = await create(rcv.url, ["message.failed"], KEY_B);
    await api(emu.url, "PATCH", `/api/webhooks/${paused.id}`, { body: { isActive: false } });

    const deliveries = await control.fireEvent(KEY_A, "message.failed");
    expect(deliveries.map((d) => d.webhookId)).toEqual([subscribed.id]);
    expect(rcv.received).toHaveLength(1);
    for (const id of [paused.id, other.id]) expect((await get(id)).lastTriggeredAt).toBeNull();
    expect((await get(foreign.id, KEY_B)).lastTriggeredAt).toBeNull();
  });

  test("records a timeout and a refused connection as failures", async () => {
    const hung = await receiver("hang");
    const a = await create(hung.url, ["message.opened"]);
    const b = await create(`http://127.0.0.1:${await closedPort()}/x`, ["message.opened"]);
    const deliveries = await control.fireEvent(KEY_A, "message.opened");
    expect(deliveries).toEqual(
      expect.arrayContaining([
        { webhookId: a.id, url: hung.url, success: false, error: "The operation was aborted due to timeout" },
        { webhookId: b.id, url: expect.any(String), success: false, error: "fetch failed" },
      ]),
    );
    expect((await get(a.id)).failureCount).toBe(1);
    expect((await get(b.id)).failureCount).toBe(1);
  });

  test("rejects an unknown event with 400", async () => {
    await expect(control.fireEvent(KEY_A, "message.clicked" as "message.sent")).rejects.toMatchObject({ statusCode: 400 });
  });

  test("rejects firing without a valid key with 401", async () => {
    await expect(control.fireEvent("nope", "message.sent")).rejects.toMatchObject({ statusCode: 401 });
  });
});
