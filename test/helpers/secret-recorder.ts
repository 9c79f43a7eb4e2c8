/**
 * A transparent HTTP proxy in front of the emulator that writes down every webhook secret the API
 * mints (the `secret` of each `201` to `POST /api/webhooks`), so a leak scan knows every secret that
 * ever existed, including those of webhooks rolled back or re-created before anyone sealed them.
 * It can also mangle the next create's `201` body, as a broken gateway would, after Tuco really
 * created the webhook.
 *
 *   const recorder = await startSecretRecorder(emulator.url);
 *   // point TUCO_API_URL at recorder.url; afterwards recorder.secrets holds every minted secret
 */
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A running recorder. */
export interface SecretRecorder {
  /** Base URL to use as TUCO_API_URL. */
  readonly url: string;
  /** Every secret minted through the proxy, in order. */
  readonly secrets: string[];
  /** Rewrites the body of the next `201` to `POST /api/webhooks` (the webhook is still created upstream). */
  mangleNextCreate(rewrite: (body: string) => string): void;
  close(): Promise<void>;
}

/** Starts a recorder on 127.0.0.1 forwarding to `target` (an `http://` base URL). */
export async function startSecretRecorder(target: string): Promise<SecretRecorder> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const secrets: string[] = [];
  const rewrites: ((body: string) => string)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (answer) => {
          const body: Buffer[] = [];
          answer.on("data", (c: Buffer) => body.push(c));
          answer.on("error", () => res.destroy());
          answer.on("end", () => {
            let text = Buffer.concat(body).toString("utf8");
            const isCreate = req.method === "POST" && (req.url ?? "").split("?")[0] === "/api/webhooks" && answer.statusCode === 201;
            if (isCreate) {
              try {
                const secret = (JSON.parse(text) as { secret?: unknown }).secret;
                if (typeof secret === "string") secrets.push(secret);
              } catch {
                // not JSON: nothing minted that we can read
              }
              const rewrite = rewrites.shift();
              if (rewrite) text = rewrite(text);
            }
            const out = Buffer.from(text, "utf8");
            const { "content-length": _length, "transfer-encoding": _encoding, ...rest } = answer.headers;
            res.writeHead(answer.statusCode ?? 502, { ...rest, "content-length": out.length });
            res.end(out);
          });
        },
      );
      // The emulator dropped or reset the connection: so does the proxy, and the client sees the same.
      forward.on("error", () => res.destroy());
      // The client gave up (a timeout): stop waiting upstream too.
      res.on("close", () => {
        if (!res.writableFinished) forward.destroy();
      });
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    secrets,
    mangleNextCreate: (rewrite) => void rewrites.push(rewrite),
    async close() {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
