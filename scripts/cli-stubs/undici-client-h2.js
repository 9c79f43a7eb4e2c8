// undici's HTTP/2 connection (dispatcher/client-h2.js), used only when TLS negotiates "h2", which
// needs allowH2: the CLI's transport never sets it, so its 26 KB are never read.
"use strict";
module.exports = function connectH2() {
  throw new Error("tuco-webhooks CLI: HTTP/2 is not used (the transport never sets allowH2)");
};
