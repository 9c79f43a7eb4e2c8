/**
 * The two parts of undici the transport uses: its connection Pool and its `request` (undici's
 * index puts `request` on every dispatcher; it is called with the pool as `this` here). Loading
 * only these, not undici's index (fetch, WebSocket, cookies, caches...), is most of what a one-shot
 * CLI process saves (bench/results.md). The CLI bundles this module, with undici, into a file of
 * its own (scripts/build-cli.mjs), loaded by the first request.
 */
import type { Dispatcher, Pool } from "undici";

export interface UndiciParts {
  readonly Pool: typeof Pool;
  readonly request: Dispatcher["request"];
}

export function loadUndici(): UndiciParts {
  return {
    Pool: require("undici/lib/dispatcher/pool") as typeof Pool,
    request: require("undici/lib/api/api-request") as Dispatcher["request"],
  };
}
