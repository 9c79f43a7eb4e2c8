import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WEBHOOK_EVENTS } from "../../src/api/types";
import { diffWebhook } from "../../src/webhook/diff";
import { parseWebhookSpec, type WebhookSpec } from "../../src/webhook/spec";

const desired = parseWebhookSpec({
  url: "https://hooks.example.com/tuco",
  events: ["message.sent", "message.reply"],
  name: "crm",
  description: "CRM sync",
});

describe("diffWebhook", () => {
  it("finds nothing when only event order and duplicates differ", () => {
    const live = { ...desired, events: ["message.sent", "message.reply", "message.sent"] };
    expect(diffWebhook(desired, live)).toEqual({ changed: [], patch: {} });
  });

  it("treats a null and an empty description as equal", () => {
    const none = { ...desired, description: null };
    expect(diffWebhook(none, { ...none, description: "" }).changed).toEqual([]);
  });

  it("lists each changed field and patches exactly those fields", () => {
    const live = { url: "https://old.example.com/x", events: ["message.sent"], name: "old", description: null, isActive: false };
    const diff = diffWebhook(desired, live);
    expect(diff.changed).toEqual(["url", "events", "name", "description", "isActive"]);
    expect(diff.patch).toEqual({
      url: desired.url,
      events: ["message.reply", "message.sent"],
      name: "crm",
      description: "CRM sync",
      isActive: true,
    });
  });

  it("clears a description with an empty string, as the API's schema types it", () => {
    const diff = diffWebhook({ ...desired, description: null }, desired);
    expect(diff.patch).toEqual({ description: "" });
  });

  const specs = fc
    .record({
      path: fc.stringMatching(/^[a-z0-9/]{0,20}$/),
      events: fc.uniqueArray(fc.constantFrom(...WEBHOOK_EVENTS), { minLength: 1 }),
      name: fc.stringMatching(/^[A-Za-z0-9 _-]{1,30}$/).filter((s) => s.trim() !== ""),
      description: fc.option(fc.stringMatching(/^[A-Za-z0-9 .,]{0,40}$/), { nil: null }),
      isActive: fc.boolean(),
    })
    .map((r) => parseWebhookSpec({ ...r, url: `https://hooks.example.com/${r.path}` }));

  it("is empty for any normalized spec against itself (property)", () => {
    fc.assert(
      fc.property(specs, (spec) => {
        expect(diffWebhook(spec, spec).changed).toEqual([]);
      }),
    );
  });

  it("produces a patch that, applied to the live webhook, leaves no diff (property)", () => {
    fc.assert(
      fc.property(specs, specs, (want: WebhookSpec, live: WebhookSpec) => {
        const { patch } = diffWebhook(want, live);
        const patched = { ...live, ...patch, description: patch.description === "" ? null : (patch.description ?? live.description) };
        expect(diffWebhook(want, patched as WebhookSpec).changed).toEqual([]);
      }),
    );
  });
});
