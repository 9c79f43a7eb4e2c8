import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { checkTucoSignature } from "../../src/receiver/signature";

/** What a receiver answers: an HTTP status, or "hang" (never answers). */
export type Answer = number | "hang";

/** One request the receiver got, with its raw body as received. */
export interface ReceivedRequest {
  readonly method: string;
  /** The request target as sent, e.g. "/hooks/tuco/crm". */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The X-Tuco-Signature header ("" when there is none). */
  readonly signature: string;
}

/**
 * A local webhook endpoint for tests: records every request and answers `status` with `body`, both
 * settable at any time, after `delayMs`; a path given to `setStatus` answers its own status instead.
 */
export interface TestReceiver {
  /** `http://127.0.0.1:<port>`, for tests that name their own paths. */
  readonly origin: string;
  /** `<origin>/hooks/tuco`. */
  readonly url: string;
  readonly received: ReceivedRequest[];
  status: Answer;
  /** The body of every answer. @default "OK" below 300, "nope" from 300 */
  body: string | undefined;
  /** Answer only after this many ms (a slow endpoint). @default 0 */
  delayMs: number;
  /** From now on `pathname` (the query aside) answers `status`. */
  setStatus(pathname: string, status: Answer): void;
  /** Resolves with the next request to arrive after this call. */
  next(): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 at a random port, answering `status` (or `{ status, body }`). */
export async function startReceiver(answer: Answer | { status: Answer; body?: string } = 200): Promise<TestReceiver> {
  const received: ReceivedRequest[] = [];
  const waiters: ((r: ReceivedRequest) => void)[] = [];
  const statuses = new Map<string, Answer>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "";
      const got = { method: req.method ?? "", path, headers: req.headers, rawBody: Buffer.concat(chunks).toString("utf8"), signature: String(req.headers["x-tuco-signature"] ?? "") };
      received.push(got);
      for (const waiter of waiters.splice(0)) waiter(got);
      const status = statuses.get(path.split("?")[0]) ?? receiver.status;
      if (status === "hang") return;
      const body = receiver.body ?? (status < 300 ? "OK" : "nope");
      const send = () => void (res.destroyed || res.writeHead(status, { "content-type": "text/plain" }).end(body));
      if (receiver.delayMs > 0) setTimeout(send, receiver.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const receiver: TestReceiver = {
    origin,
    url: `${origin}/hooks/tuco`,
    received,
    status: typeof answer === "object" ? answer.status : answer,
    body: typeof answer === "object" ? answer.body : undefined,
    delayMs: 0,
    setStatus: (pathname, status) => void statuses.set(pathname, status),
    next: () => new Promise((resolve) => waiters.push(resolve)),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}

/** The last request `receiver` got at `url` (its origin and path); fails the test when none came. */
export function lastDeliveryTo(receiver: TestReceiver, url: string): ReceivedRequest {
  const last = receiver.received.filter((r) => `${receiver.origin}${r.path}` === url).at(-1);
  expect(last, `nothing reached ${url}`).toBeDefined();
  return last!;
}

/** Asserts that `secret` signs the last event or ping Tuco sent to `url` (its X-Tuco-Signature verifies). */
export function expectSignsLastDelivery(receiver: TestReceiver, url: string, secret: string, message?: string): void {
  const last = lastDeliveryTo(receiver, url);
  expect(checkTucoSignature(last.rawBody, last.signature, secret), message).toEqual({ ok: true });
}
