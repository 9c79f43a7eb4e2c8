/**
 * node:crypto, loaded on first use. Its first load is a large share of a one-shot CLI process's CPU,
 * and most runs never need it: checking a declaration (a rejected spec), reading a sealed file's
 * label, an in-sync apply. Internal: no entry point exports this module.
 */
import type * as Crypto from "node:crypto";

export function nodeCrypto(): typeof Crypto {
  return require("node:crypto") as typeof Crypto;
}
