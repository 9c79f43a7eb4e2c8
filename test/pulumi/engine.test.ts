import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { PartialApplyError, changedFields, check, diff } from "../../src/pulumi/provider-runtime";
import { formatMarker } from "../../src/webhook/ownership";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const state = { url: "https://hooks.example.com/tuco", events: ["message.reply", "message.sent"], name: "crm", description: null, isActive: true, healthCheck: "fail" };

describe("the Webhook engine's check", () => {
  it("normalizes inputs with the shared validation: sorted events, trimmed name, null description, defaults", async () => {
    const { inputs, failures } = await check({}, { url: "https://hooks.example.com/tuco", events: ["message.sent", "message.reply", "message.sent"], name: "  crm ", description: "  " });
    expect(failures).toEqual([]);
    expect(inputs).toEqual({ ...state, adoptId: null });
  });

  it("rejects every bad field at once, with the field as the property", async () => {
    const { failures } = await check({}, { url: "ftp://x", events: [], name: 3, description: 4, isActive: "no", healthCheck: "loud", adoptId: " " });
    expect(failures.map((f) => f.property)).toEqual(["url", "events", "name", "description", "isActive", "healthCheck", "adoptId"]);
    for (const f of failures) expect(f.reason).toMatch(/\S/);
  });
});

describe("the Webhook engine's diff", () => {
  const owner = { pulumi: "proj/dev", resource: "0123456789abcdef" };
  const marked = { ...state, owner, ownerMarker: formatMarker({ owner: { tool: "pulumi", ...owner }, id: "id" }) };

  it("finds no change when only event order, duplicates or an empty description differ", async () => {
    expect(changedFields(state, { ...state, events: ["message.sent", "message.reply", "message.sent"], description: "" })).toEqual([]);
    expect(await diff("id", marked, { ...state, owner })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("reports a change when the webhook's marker is not this resource's own: removed or edited in the Tuco app, or naming another id", async () => {
    for (const ownerMarker of ["", "[tuco-webhooks stack=shop key=crm]", formatMarker({ owner: { tool: "pulumi", ...owner }, id: "other" })]) {
      expect(await diff("id", { ...marked, ownerMarker }, { ...state, owner }), ownerMarker).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    }
  });

  it("reports each changed field in order and never asks for a replacement", async () => {
    const news = { ...state, url: "https://other.example.com/", events: ["message.opened"], name: "crm-2", description: "d", isActive: false, healthCheck: "skip" };
    expect(changedFields(state, news)).toEqual(["url", "events", "name", "description", "isActive", "healthCheck"]);
    expect(await diff("id", state, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("treats a value unknown during preview as a change", () => {
    expect(changedFields(state, { ...state, url: UNKNOWN })).toEqual(["url"]);
    expect(changedFields(state, { ...state, events: [UNKNOWN] })).toEqual(["events"]);
  });
});

describe("PartialApplyError", () => {
  it("hands its properties to the host through `properties`, but logging or serializing it never shows them", () => {
    const secret = "c2VjcmV0LW9mLWEtcGFydGlhbC1jcmVhdGUtMDEyMzQ1Njc4OQ==";
    const err = new PartialApplyError("Health-check of webhook abc failed", "abc", { webhookId: "abc", secret });
    expect(err.properties.secret).toBe(secret);
    expect({ id: err.id, reasons: err.reasons }).toEqual({ id: "abc", reasons: ["Health-check of webhook abc failed"] });
    for (const shown of [inspect(err, { depth: Infinity, showHidden: true }), JSON.stringify(err), String(err)]) expect(shown).not.toContain(secret);
  });
});
