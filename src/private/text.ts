/**
 * Character classes and the display of values in messages. Internal: no entry point exports
 * this module.
 */
import { isWebhookIdShaped } from "./webhook-id";

/** C0 and C1 control characters and DEL. */
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Control characters but newline, carriage return and tab. */
export const CONTROL_BUT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** Unicode's own line and paragraph separators: a one-line value must not hold them either. */
export const LINE_SEPARATORS = /[\u2028\u2029]/;
// Half of a surrogate pair: not text. UTF-8 (Terraform's JSON, Pulumi's gRPC, Tuco's API) cannot carry it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a string holds half of a surrogate pair, which no UTF-8 channel can carry. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * Characters that make text read as something it is not: direction controls (a right-to-left
 * override turns "cod.exe" around) and invisible separators (a zero-width space makes two equal-looking
 * names differ). Zero-width joiners stay allowed: scripts and emoji sequences need them.
 */
export const MISLEADING = /[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;
/** What a terminal or a reader must never get raw from text that is not ours: C1 controls, DEL, line separators and the misleading characters. */
const UNSAFE = /[\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]/g;

/** `json` (valid JSON text) with every character a terminal or reader must not get raw written as a `\uXXXX` escape: still the same JSON value. */
export function escapeUnsafe(json: string): string {
  return json.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Text from outside (the API) inside a sentence, unquoted: every control, direction and invisible character (newlines too) written as a `\uXXXX` escape. */
export function plainUntrusted(text: string): string {
  return text.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Text from outside (the API, a file) as a quoted string that is safe to print: control, direction and invisible characters escaped. */
export function quoteUntrusted(text: string): string {
  return escapeUnsafe(JSON.stringify(text));
}

/** A webhook id from the API, shown as is when it looks like one and quoted and escaped otherwise. */
export function showId(id: string): string {
  return isWebhookIdShaped(id) ? id : quoteUntrusted(id);
}

/** Renders a bad value for an error message: short, quoted, never multi-line, nothing printed raw that could mislead. */
export function showValue(value: unknown): string {
  if (value === undefined) return "undefined";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  text = escapeUnsafe(text);
  if (text.length <= 80) return text;
  // Cut between code points, never inside a surrogate pair (an emoji would become malformed unicode).
  const chars = Array.from(text);
  return chars.length > 80 ? `${chars.slice(0, 77).join("")}...` : text;
}
