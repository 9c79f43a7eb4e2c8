// node:http as undici's client reads it: `IncomingMessage` (to tell a request body that is one;
// the CLI never sends one) and `maxHeaderSize` (node's default, 16 KiB). The real module costs a
// CLI process a tenth of its work and the CLI's HTTP goes through undici alone.
"use strict";
module.exports = { IncomingMessage: class IncomingMessage {}, maxHeaderSize: 16 * 1024 };
