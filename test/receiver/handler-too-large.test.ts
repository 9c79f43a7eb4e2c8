/**
 * tucoWebhookHandler answers 413 past maxBodyBytes (README). A request that declares a
 * Content-Length far over the limit should be refused without reading it all (as the emulator does).
 */
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tucoWebhookHandler } from "../../src/receiver";

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer(tucoWebhookHandler({ secrets: ["s3cr3t-s3cr3t-s3cr3t"], onDelivery: () => {}, maxBodyBytes: 1024 }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe("a body declared far over maxBodyBytes", () => {
  it("is answered 413 within 2 s while the client is still sending", async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.write(`POST /tuco HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n`);
        const timer = setInterval(() => socket.write(Buffer.alloc(64 * 1024, 0x20)), 20);
        let got = "";
        socket.on("data", (d) => {
          got += d.toString();
          clearInterval(timer);
          socket.destroy();
          resolve(got.split("\r\n")[0]);
        });
        socket.on("error", () => {});
        setTimeout(() => {
          clearInterval(timer);
          socket.destroy();
          resolve("(no answer after 2 s)");
        }, 2000);
      });
    });
    expect(answer).toBe("HTTP/1.1 413 Payload Too Large");
  });
});
