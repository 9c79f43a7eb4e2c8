// A downstream service exactly as the README shows it: tucoWebhookHandler on node:http.
const { createServer } = require("node:http");
const { tucoWebhookHandler } = require("../../dist/receiver/index.js");
const server = createServer(
  tucoWebhookHandler({
    secrets: [process.env.TUCO_WEBHOOK_SECRET],
    onDelivery: ({ event }) => console.log(`verified ${event}`),
    onRejected: (reason) => console.log(`rejected ${reason}`),
  }),
);
server.listen(0, "127.0.0.1", () => console.log(`PORT ${server.address().port}`));
