// node:http2, which undici loads for HTTP/2 connections: the CLI never asks for one (no allowH2),
// and loading the real module is a tenth of a provisioner's work. Undici reads only `constants` at load.
"use strict";
module.exports = { constants: {} };
