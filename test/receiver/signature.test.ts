import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkTucoSignature, signTucoPayload, verifyTucoSignature } from "../../src/receiver/signature";

const secret = "dGhpcyBpcyBhIHNhbXBsZSBzZWNyZXQ=";
const body = JSON.stringify({ event: "message.sent", timestamp: "2026-04-12T12:00:00.000Z", data: { test: true } });
// Computed independently of the code under test.
const expected = createHmac("sha256", secret).update(body).digest("hex");

describe("Tuco signatures", () => {
  it("signs as lowercase hex HMAC-SHA256 of the raw body, without a prefix", () => {
    expect(signTucoPayload(body, secret)).toBe(expected);
    expect(signTucoPayload(Buffer.from(body), secret)).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it("accepts the right signature, in lower or upper case", () => {
    expect(verifyTucoSignature(body, expected, secret)).toBe(true);
    expect(verifyTucoSignature(Buffer.from(body), expected.toUpperCase(), secret)).toBe(true);
  });

  it("rejects a tampered body", () => {
    expect(checkTucoSignature(body.replace("true", "false"), expected, secret)).toEqual({ ok: false, reason: "mismatch" });
    expect(checkTucoSignature(`${body} `, expected, secret)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects the signature under a wrong secret", () => {
    expect(checkTucoSignature(body, expected, `${secret}x`)).toEqual({ ok: false, reason: "mismatch" });
  });

  it.each([
    ["missing", undefined, "missing-header"],
    ["empty", "", "missing-header"],
    ["truncated", expected.slice(0, 63), "malformed-header"],
    ["prefixed", `sha256=${expected}`, "malformed-header"],
    ["not hex", "z".repeat(64), "malformed-header"],
    ["repeated", [expected, expected], "malformed-header"],
  ] as const)("rejects a header that is %s", (_what, header, reason) => {
    expect(checkTucoSignature(body, header, secret)).toEqual({ ok: false, reason });
    expect(verifyTucoSignature(body, header, secret)).toBe(false);
  });

  it("rejects everything when the secret is empty", () => {
    expect(checkTucoSignature(body, signTucoPayload(body, ""), "")).toEqual({ ok: false, reason: "missing-secret" });
  });
});
