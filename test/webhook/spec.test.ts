import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WEBHOOK_EVENTS } from "../../src/api/types";
import { MAX_NAME_LENGTH, WebhookSpecError, parseWebhookSpec, validateWebhookSpec } from "../../src/webhook/spec";

const good = { url: "https://hooks.example.com/tuco", events: ["message.sent"], name: "crm" };

function failureOf(input: Record<string, unknown>) {
  const result = validateWebhookSpec(input);
  expect(result.value).toBeUndefined();
  return result.problems;
}

describe("webhook spec validation", () => {
  it("normalizes a valid spec: events as a sorted set, name trimmed, description null, active by default", () => {
    const spec = parseWebhookSpec({ ...good, events: ["message.reply", "message.sent", "message.reply"], name: "  crm  " });
    expect(spec).toEqual({
      url: "https://hooks.example.com/tuco",
      events: ["message.reply", "message.sent"],
      name: "crm",
      description: null,
      isActive: true,
    });
  });

  it("accepts plain http only for loopback hosts", () => {
    for (const url of ["http://localhost:8080/x", "http://127.0.0.1:9/x", "http://[::1]:8080/", "http://api.localhost/x"]) {
      expect(validateWebhookSpec({ ...good, url }).problems, url).toEqual([]);
    }
  });

  it.each([
    ["missing", undefined, /url undefined is missing/],
    ["null", null, /url null is missing/],
    ["empty", "", /url "" is empty/],
    ["a number", 42, /url 42 must be a string/],
    ["relative", "/webhooks/tuco", /is not an absolute URL/],
    ["malformed", "https://", /is not an absolute URL/],
    ["plain http to a public host", "http://hooks.example.com/x", /plain http:\/\/ to a non-loopback host: use https:\/\//],
    ["with credentials", "https://user:pass@hooks.example.com/x", /contains credentials/],
    ["an ftp URL", "ftp://hooks.example.com/x", /uses ftp:/],
    ["with spaces", "https://hooks.example.com/a b", /whitespace or control characters/],
    ["with a newline", "https://hooks.example.com/\nx", /whitespace or control characters/],
    ["too long", `https://hooks.example.com/${"a".repeat(2100)}`, /characters long: use at most 2048/],
  ])("rejects a url that is %s, naming the field, the value and the fix", (_what, url, message) => {
    const failures = failureOf({ ...good, url });
    expect(failures).toHaveLength(1);
    expect(failures[0].field).toBe("url");
    expect(failures[0].message).toMatch(message);
  });

  it.each([
    ["missing", undefined, /events undefined is missing: list at least one event \(choose from message.sent/],
    ["empty", [], /events \[\] is empty/],
    ["not a list", "message.sent", /must be a list of event names/],
    ["unknown", ["message.sent", "message.deleted"], /contains unknown event "message.deleted": choose from/],
    ["of the wrong type", [1], /contains unknown event 1/],
  ])("rejects events that are %s", (_what, events, message) => {
    const failures = failureOf({ ...good, events });
    expect(failures.map((f) => f.field)).toEqual(["events"]);
    expect(failures[0].message).toMatch(message);
  });

  it.each([
    ["missing", undefined, /name undefined is missing/],
    ["blank", "   ", /name "   " is empty/],
    ["not a string", ["crm"], /must be a string, got object/],
    ["multi-line", "crm\nevents", /control characters/],
    ["too long", "n".repeat(MAX_NAME_LENGTH + 1), new RegExp(`at most ${MAX_NAME_LENGTH}`)],
  ])("rejects a name that is %s", (_what, name, message) => {
    const failures = failureOf({ ...good, name });
    expect(failures.map((f) => f.field)).toEqual(["name"]);
    expect(failures[0].message).toMatch(message);
  });

  it("accepts unicode names and descriptions, and treats an empty description as none", () => {
    const spec = parseWebhookSpec({ ...good, name: "Relances clients 🚀 é", description: "" });
    expect(spec.name).toBe("Relances clients 🚀 é");
    expect(spec.description).toBeNull();
  });

  it("rejects a description with control characters or of the wrong type", () => {
    expect(failureOf({ ...good, description: "bell\u0007" })[0].message).toMatch(/description .* contains control characters/);
    expect(failureOf({ ...good, description: 7 })[0].message).toMatch(/description 7 must be a string/);
  });

  it("rejects isActive that is not a boolean", () => {
    expect(failureOf({ ...good, isActive: "false" })[0].message).toMatch(/isActive "false" must be true or false/);
  });

  it("reports every bad field at once, and parseWebhookSpec throws a coded error listing them", () => {
    const failures = failureOf({ url: "nope", events: [], name: "" });
    expect(failures.map((f) => f.field)).toEqual(["url", "events", "name"]);
    let thrown: unknown;
    try {
      parseWebhookSpec({ url: "nope", events: [], name: "" }, "crm");
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(WebhookSpecError);
    expect((thrown as WebhookSpecError).code).toBe("INVALID_SPEC");
    expect((thrown as Error).message).toMatch(/^Invalid webhook crm: url "nope" .*; events \[\] .*; name "" /);
  });

  it("keeps every valid spec stable under re-validation (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          url: fc.webUrl({ validSchemes: ["https"], withQueryParameters: true }),
          events: fc.uniqueArray(fc.constantFrom(...WEBHOOK_EVENTS), { minLength: 1 }),
          name: fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim() !== "" && !/[\u0000-\u001f\u007f-\u009f]/.test(s)),
          description: fc.option(fc.string({ maxLength: 80 }).filter((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(s)), { nil: null }),
          isActive: fc.boolean(),
        }),
        (input) => {
          const first = validateWebhookSpec(input);
          if (first.value === undefined) return; // fc.webUrl may produce URLs with user:pass@, which we reject
          expect(parseWebhookSpec(first.value)).toEqual(first.value);
        },
      ),
    );
  });
});
