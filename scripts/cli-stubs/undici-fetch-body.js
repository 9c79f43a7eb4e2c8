// undici's fetch body (and with it fetch, WebIDL, FormData), which its HTTP/1 client requires only
// to send a FormData or Blob body: the CLI sends JSON strings, never one, and reading the fetch code
// is a tenth of a provisioner's start-up. Asked for anyway, it says so instead of misbehaving.
"use strict";
module.exports = {
  extractBody() {
    throw new Error("tuco-webhooks CLI: undici's fetch body support is not bundled (only string bodies are sent)");
  },
};
