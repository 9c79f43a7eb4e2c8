/**
 * Character classes and the display of values in messages. Internal: no entry point exports
 * this module.
 */

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

/** Renders a bad value for an error message: short, quoted, never multi-line. */
export function showValue(value: unknown): string {
  if (value === undefined) return "undefined";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  if (text.length <= 80) return text;
  // Cut between code points, never inside a surrogate pair (an emoji would become malformed unicode).
  const chars = Array.from(text);
  return chars.length > 80 ? `${chars.slice(0, 77).join("")}...` : text;
}
