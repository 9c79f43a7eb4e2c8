// The baseline for emulator throughput: a bare node:http server answering the same bytes the
// emulator answers for GET /api/webhooks (an empty list) and for a create.
import { createServer } from "node:http";
const list = Buffer.from('{"webhooks":[]}');
const created = Buffer.from(JSON.stringify({
  id: "680a1b2c3d4e5f6789012345", secret: "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0cw==", url: "https://hooks.example.com/tuco",
  events: ["message.sent"], name: "bench", description: null, createdAt: new Date().toISOString(),
  warning: "Save this secret now. You will not be able to see it again.",
}));
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = req.method === "POST" ? created : list;
    if (req.method === "POST") JSON.parse(Buffer.concat(chunks).toString());
    res.writeHead(req.method === "POST" ? 201 : 200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 10_000;
server.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${server.address().port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
