/**
 * The downstream service of the demo: one local HTTP server standing in for every receiving
 * service, one route per webhook URL path. Each route verifies X-Tuco-Signature with
 * `tucoWebhookHandler` once the route's secret is known. Before that (during deploy, when the
 * front ends' own health-check pings arrive and the one-time secret does not exist outside Tuco
 * yet) a route accepts only health-check pings (`data.test: true`) and counts them as unverified.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tucoWebhookHandler, type VerifiedDelivery } from "../receiver/handler";

/** What a route received. */
export interface RouteStats {
  verified: VerifiedDelivery[];
  rejected: string[];
  unverifiedPings: number;
}

/** The demo's receiver. */
export interface DemoReceiver {
  /** The base URL the webhooks point at. */
  readonly url: string;
  /** Sets the secret a path verifies with from now on (e.g. "/tuco/crm"). */
  setSecret(pathname: string, secret: string): void;
  /** The stats of one path (created empty on first use). */
  stats(pathname: string): RouteStats;
  /** Every path that received anything or has a secret. */
  paths(): string[];
  close(): Promise<void>;
}

/** Starts the receiver on 127.0.0.1 (port 0 = random). `publicUrl` replaces the local URL when something forwards to it. */
export async function startDemoReceiver(port = 0, publicUrl?: string): Promise<DemoReceiver> {
  const routes = new Map<string, { stats: RouteStats; handler?: (req: IncomingMessage, res: ServerResponse) => void }>();
  const route = (pathname: string) => {
    let r = routes.get(pathname);
    if (!r) {
      r = { stats: { verified: [], rejected: [], unverifiedPings: 0 } };
      routes.set(pathname, r);
    }
    return r;
  };
  const server: Server = createServer((req, res) => {
    const pathname = (req.url ?? "/").split("?")[0];
    const r = route(pathname);
    if (r.handler) return r.handler(req, res);
    // No secret yet: only a health-check ping is answered 200, and it is not counted as verified.
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let ping = false;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { data?: { test?: unknown } };
        ping = body.data?.test === true;
      } catch {
        // not JSON
      }
      if (ping) r.stats.unverifiedPings++;
      else r.stats.rejected.push("no secret known yet and not a health-check ping");
      res.writeHead(ping ? 200 : 401, { "content-type": "text/plain" });
      res.end(ping ? "OK" : "no secret yet");
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (publicUrl ?? local).replace(/\/+$/, ""),
    setSecret(pathname, secret) {
      const r = route(pathname);
      r.handler = tucoWebhookHandler({
        secrets: [secret],
        onDelivery: (delivery) => void r.stats.verified.push(delivery),
        onRejected: (reason) => void r.stats.rejected.push(reason),
      });
    },
    stats: (pathname) => route(pathname).stats,
    paths: () => [...routes.keys()].sort(),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
