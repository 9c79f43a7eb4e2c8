import type { IncomingMessage, ServerResponse } from "node:http";
import { SIGNATURE_HEADER } from "../api/types";
import { checkTucoSignature, type SignatureFailure } from "./signature";

/** A delivery whose signature checked out. */
export interface VerifiedDelivery {
  /** The signed body's `event` ("" when it has none). The `X-Tuco-Event` header is not signed, so it is never taken. */
  readonly event: string;
  /** The signed body's `timestamp` ("" when it has none); the unsigned `X-Tuco-Timestamp` header is never taken. */
  readonly timestamp: string;
  /** The parsed JSON body. */
  readonly payload: Record<string, unknown>;
  /** The raw body, exactly as signed. */
  readonly rawBody: Buffer;
}

/** Why a request was refused: a signature failure, a body that is not JSON or too large, or a method other than POST. */
export type RejectionReason = SignatureFailure | "bad-json" | "too-large" | "method";

/** Options of `tucoWebhookHandler`. */
export interface TucoWebhookHandlerOptions {
  /** The webhook's signing secret; several during a rotation (any one may match). */
  readonly secrets: readonly string[];
  /** Called for each verified delivery; a rejection answers 500 so the failure shows in Tuco's `failureCount`. */
  readonly onDelivery: (delivery: VerifiedDelivery) => void | Promise<void>;
  /** Called for each rejected request (bad signature, bad JSON, too large). @default - nothing */
  readonly onRejected?: (reason: RejectionReason, req: IncomingMessage) => void;
  /** Largest body accepted, in bytes. @default 1048576 */
  readonly maxBodyBytes?: number;
}

/**
 * A `node:http` request listener for a Tuco webhook endpoint: it reads the raw body, checks
 * `X-Tuco-Signature` against the secret(s) in constant time, and answers 401 on a bad or
 * missing signature, 400 on a body that is not a JSON object, 413 past `maxBodyBytes` (at once,
 * from `Content-Length` or as soon as the body passes it, then closing the connection), 200 once
 * `onDelivery` resolved.
 */
export function tucoWebhookHandler(options: TucoWebhookHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  const reply = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
    res.end(text);
  };
  // A throwing hook (a logger, a metrics client) must not leave the request unanswered.
  const rejected = (reason: RejectionReason, req: IncomingMessage) => {
    try {
      options.onRejected?.(reason, req);
    } catch {
      // the answer below still goes out
    }
  };
  return (req, res) => {
    if (req.method !== "POST") {
      rejected("method", req);
      return reply(res, 405, "POST only");
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    // Refused as soon as it is known, not after reading it all: the connection closes after the answer.
    const refuseTooLarge = () => {
      if (tooLarge) return;
      tooLarge = true;
      chunks.length = 0;
      rejected("too-large", req);
      res.writeHead(413, { "content-type": "text/plain; charset=utf-8", connection: "close" });
      res.end("payload too large", () => req.destroy());
    };
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) return refuseTooLarge();
    req.on("data", (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) refuseTooLarge();
      else chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge) return;
      const rawBody = Buffer.concat(chunks);
      const header = req.headers[SIGNATURE_HEADER];
      let failure: SignatureFailure = "missing-secret";
      const ok = options.secrets.some((secret) => {
        const check = checkTucoSignature(rawBody, header, secret);
        if (!check.ok) failure = check.reason;
        return check.ok;
      });
      if (!ok) {
        rejected(failure, req);
        return reply(res, 401, "invalid signature");
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(rawBody.toString("utf8"));
      } catch {
        parsed = undefined;
      }
      // Every Tuco body is a JSON object; a signed null, array or number is not a delivery.
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        rejected("bad-json", req);
        return reply(res, 400, "invalid JSON: not an object");
      }
      const payload = parsed as Record<string, unknown>;
      const delivery: VerifiedDelivery = {
        event: typeof payload.event === "string" ? payload.event : "",
        timestamp: typeof payload.timestamp === "string" ? payload.timestamp : "",
        payload,
        rawBody,
      };
      Promise.resolve()
        .then(() => options.onDelivery(delivery))
        .then(
          () => reply(res, 200, "OK"),
          () => reply(res, 500, "handler failed"),
        );
    });
  };
}
