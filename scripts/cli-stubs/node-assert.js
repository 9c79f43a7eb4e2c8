// node:assert as undici uses it (assert(value) alone, never assert.x): loading the real module
// costs a CLI process more than the check itself ever will. Same contract: throws on a falsy value.
"use strict";
module.exports = function assert(value, message) {
  if (!value) throw Object.assign(new Error(message || "assertion failed"), { code: "ERR_ASSERTION" });
};
