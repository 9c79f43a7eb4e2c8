/**
 * docs/api-client.md: "A DELETE whose answer was lost and whose retry finds the webhook gone
 * counts as done." A 504 is a gateway that lost the origin's answer, and the client retries the
 * DELETE on it; when the first attempt did delete the webhook, the retry's 404 must count as done.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TucoClient } from "../../src/api/client";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";

let emulator: RunningEmulator;
let control: EmulatorControl;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  control = new EmulatorControl(emulator.url);
});
afterAll(async () => emulator.close());

describe("DELETE whose 504 came after the delete was done", () => {
  it.each([504])("resolves after a %i that followed the delete", async (status) => {
    const client = new TucoClient({ apiUrl: emulator.url, apiKey: "tuco_sk_delete_after_gateway", retry: { minDelayMs: 5, maxDelayMs: 20 } });
    try {
      const { id } = await client.create({ url: "https://hooks.example.com/x", events: ["message.sent"], name: "n" });
      await control.addFault({ kind: "commit-then-status", status, method: "DELETE", path: `/api/webhooks/${id}` });
      await expect(client.delete(id)).resolves.toBeUndefined();
      expect(await client.tryGet(id)).toBeUndefined();
    } finally {
      await client.close();
    }
  });
});
