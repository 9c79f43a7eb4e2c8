import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the receiver got, with its raw body as received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
}

/** A local webhook endpoint for tests: records every request and answers `status` (settable at any time). */
export interface TestReceiver {
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** The status to answer; "hang" never answers. */
  status: number | "hang";
  /** Answer only after this many ms (a slow endpoint). @default 0 */
  delayMs: number;
  /** Resolves with the next request that arrives (or the first unseen one). */
  next(): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 at a random port. */
export async function startReceiver(status: number | "hang" = 200): Promise<TestReceiver> {
  const received: ReceivedRequest[] = [];
  const waiters: Array<(r: ReceivedRequest) => void> = [];
  let seen = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, rawBody: Buffer.concat(chunks).toString("utf8") };
      received.push(entry);
      const waiter = waiters.shift();
      if (waiter) {
        seen++;
        waiter(entry);
      }
      const status = receiver.status;
      if (status === "hang") return;
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(status, { "content-type": "text/plain" });
        res.end(status < 300 ? "OK" : "nope");
      };
      if (receiver.delayMs > 0) setTimeout(answer, receiver.delayMs).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: TestReceiver = {
    url: `http://127.0.0.1:${port}/hooks/tuco`,
    received,
    status,
    delayMs: 0,
    next() {
      if (seen < received.length) return Promise.resolve(received[seen++]);
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
