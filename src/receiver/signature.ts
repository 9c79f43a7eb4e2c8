import { createHmac, timingSafeEqual } from "node:crypto";

/** Why a signature was rejected. */
export type SignatureFailure = "missing-header" | "malformed-header" | "mismatch" | "missing-secret";

/** The result of `checkTucoSignature`: `ok`, or why not. */
export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: SignatureFailure };

/** Lowercase hex HMAC-SHA256 of the raw body, keyed with the webhook secret: what Tuco puts in `X-Tuco-Signature`. */
export function signTucoPayload(rawBody: string | Uint8Array, secret: string): string {
  return createHmac("sha256", secret).update(rawBody).digest("hex");
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * Checks `X-Tuco-Signature` against the raw request body, in constant time.
 * The header must be exactly 64 hex characters (Tuco sends lowercase; upper case is accepted too, as hex is case-blind; there is no `sha256=` prefix);
 * anything else is `malformed-header`. Pass the body bytes exactly as received, before any JSON parsing.
 */
export function checkTucoSignature(
  rawBody: string | Uint8Array,
  signatureHeader: string | readonly string[] | null | undefined,
  secret: string,
): SignatureCheck {
  if (typeof secret !== "string" || secret === "") return { ok: false, reason: "missing-secret" };
  if (signatureHeader === undefined || signatureHeader === null || signatureHeader === "") {
    return { ok: false, reason: "missing-header" };
  }
  if (typeof signatureHeader !== "string") return { ok: false, reason: "malformed-header" };
  if (!HEX_SHA256.test(signatureHeader)) return { ok: false, reason: "malformed-header" };
  const expected = Buffer.from(signTucoPayload(rawBody, secret), "hex");
  const given = Buffer.from(signatureHeader, "hex");
  return timingSafeEqual(expected, given) ? { ok: true } : { ok: false, reason: "mismatch" };
}

/** True only when `signatureHeader` is Tuco's signature of `rawBody` under `secret`. Constant-time. */
export function verifyTucoSignature(
  rawBody: string | Uint8Array,
  signatureHeader: string | readonly string[] | null | undefined,
  secret: string,
): boolean {
  return checkTucoSignature(rawBody, signatureHeader, secret).ok;
}
