import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { tucoWebhookHandler } from "../../src/receiver/handler";
import { checkTucoSignature, signTucoPayload, verifyTucoSignature } from "../../src/receiver/signature";

// A spy that runs the real timingSafeEqual: it observes how the comparison is made, nothing else changes.
vi.mock("node:crypto", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:crypto")>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

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

/** One bit of `bytes` flipped. */
function flipBit(bytes: Uint8Array, bit: number): Buffer {
  const out = Buffer.from(bytes);
  out[Math.floor(bit / 8) % out.length] ^= 1 << bit % 8;
  return out;
}

describe("Tuco signatures: any single-bit change is rejected", () => {
  it("rejects the body with any one bit flipped, as a mismatch", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.nat(), fc.string({ minLength: 1, maxLength: 64 }), (raw, bit, key) => {
        const signature = createHmac("sha256", key).update(raw).digest("hex");
        expect(checkTucoSignature(raw, signature, key)).toEqual({ ok: true });
        expect(checkTucoSignature(flipBit(raw, bit % (raw.length * 8)), signature, key)).toEqual({ ok: false, reason: "mismatch" });
      }),
    );
  });

  it("rejects the signature with any one of its 256 bits flipped, in lower or upper case, as a mismatch", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 256 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (text, bit, upper) => {
        const digest = createHmac("sha256", secret).update(text).digest();
        const flipped = flipBit(digest, bit).toString("hex");
        expect(checkTucoSignature(text, upper ? flipped.toUpperCase() : flipped, secret)).toEqual({ ok: false, reason: "mismatch" });
      }),
    );
  });

  it("rejects a signature made with a secret that differs by one character", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: secret.length - 1 }), fc.constantFrom("A", "b", "0", "+", "/"), (at, c) => {
        const other = secret.slice(0, at) + c + secret.slice(at + 1);
        fc.pre(other !== secret);
        expect(checkTucoSignature(body, createHmac("sha256", other).update(body).digest("hex"), secret)).toEqual({ ok: false, reason: "mismatch" });
      }),
    );
  });
});

describe("Tuco signatures: constant-time comparison", () => {
  it("compares every well-formed signature with one timingSafeEqual over two 32-byte buffers, wherever it differs", () => {
    const compare = vi.mocked(timingSafeEqual);
    const digest = Buffer.from(expected, "hex");
    const cases: [string, string, boolean][] = [
      ["right", expected, true],
      ["right, upper case", expected.toUpperCase(), true],
      ["first byte differs", flipBit(digest, 0).toString("hex"), false],
      ["last byte differs", flipBit(digest, 255).toString("hex"), false],
      ["every byte differs", Buffer.from(digest.map((b) => b ^ 0xff)).toString("hex"), false],
    ];
    for (const [what, header, ok] of cases) {
      compare.mockClear();
      expect(verifyTucoSignature(body, header, secret), what).toBe(ok);
      expect(compare, what).toHaveBeenCalledTimes(1);
      const [a, b] = compare.mock.calls[0] as [Buffer, Buffer];
      expect([a.length, b.length], what).toEqual([32, 32]);
      expect(compare.mock.results[0], what).toEqual({ type: "return", value: ok });
    }
  });

  it("never throws and never compares when the header is not 64 hex characters, whatever its length or type", () => {
    const compare = vi.mocked(timingSafeEqual);
    const header = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.stringMatching(/^[0-9a-f]{0,130}$/).filter((s) => s.length !== 64),
      fc.array(fc.stringMatching(/^[0-9a-f]{64}$/), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(header, (h) => {
        compare.mockClear();
        const result = checkTucoSignature(body, h, secret);
        const wellFormed = typeof h === "string" && /^[0-9a-fA-F]{64}$/.test(h);
        if (!wellFormed) {
          expect(result.ok).toBe(false);
          expect(["missing-header", "malformed-header"]).toContain((result as { reason: string }).reason);
          expect(compare).not.toHaveBeenCalled();
        }
      }),
    );
  });
});

describe("tucoWebhookHandler over real HTTP", () => {
  let server: Server;
  let port: number;
  const rejected: string[] = [];
  const delivered: string[] = [];
  beforeAll(async () => {
    server = createServer(
      tucoWebhookHandler({
        secrets: [secret],
        onDelivery: (d) => void delivered.push(d.event),
        onRejected: (reason) => void rejected.push(reason),
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** POSTs `payload` with the given X-Tuco-Signature value(s) (an array sends the header once per value). */
  function post(payload: string, signature: string | string[] | undefined): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: "/tuco", headers: { "content-type": "application/json", "x-tuco-event": "message.sent" } }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      if (signature !== undefined) req.setHeader("x-tuco-signature", signature);
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Posts, then returns the status and what the handler reported: the rejection reason, or "delivered". */
  async function outcome(payload: string, signature: string | readonly string[] | undefined): Promise<[number, string[]]> {
    const before = { rejected: rejected.length, delivered: delivered.length };
    const status = await post(payload, signature === undefined ? undefined : typeof signature === "string" ? signature : [...signature]);
    return [status, [...rejected.slice(before.rejected), ...delivered.slice(before.delivered).map(() => "delivered")]];
  }

  it.each([
    ["the right signature", expected],
    ["the right signature in upper case", expected.toUpperCase()],
  ])("accepts %s with 200 and delivers the event", async (_what, signature) => {
    expect(await outcome(body, signature)).toEqual([200, ["delivered"]]);
  });

  it.each([
    ["a tampered body", "mismatch", expected, body.replace("true", "false")],
    ["a signature under a wrong secret", "mismatch", createHmac("sha256", `${secret}x`).update(body).digest("hex"), body],
    ["a truncated signature", "malformed-header", expected.slice(0, 40), body],
    ["a sha256= prefix", "malformed-header", `sha256=${expected}`, body],
    ["a missing signature header", "missing-header", undefined, body],
    ["the signature header sent twice", "malformed-header", [expected, expected], body],
  ] as const)("rejects %s with 401 (%s) and delivers nothing", async (_what, reason, signature, payload) => {
    expect(await outcome(payload, signature)).toEqual([401, [reason]]);
  });

  it("rejects with 401 even when the onRejected hook throws, instead of leaving the request unanswered", async () => {
    const seen: string[] = [];
    const throwing = createServer(
      tucoWebhookHandler({
        secrets: [secret],
        onDelivery: () => {},
        onRejected: (reason) => {
          seen.push(reason);
          throw new Error("metrics backend down");
        },
      }),
    );
    await new Promise<void>((resolve) => throwing.listen(0, "127.0.0.1", resolve));
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: (throwing.address() as AddressInfo).port, method: "POST", path: "/tuco" }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end(body);
      });
      expect([status, seen]).toEqual([401, ["missing-header"]]);
    } finally {
      await new Promise<void>((resolve) => throwing.close(() => resolve()));
    }
  });
});
