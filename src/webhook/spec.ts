import { TucoError } from "../api/errors";
import { WEBHOOK_EVENTS, type WebhookEvent } from "../api/types";

/** Longest `name` we accept, in characters. */
export const MAX_NAME_LENGTH = 128;
/** Longest `description` we accept, in characters. */
export const MAX_DESCRIPTION_LENGTH = 1000;
/** Longest `url` we accept, in characters. */
export const MAX_URL_LENGTH = 2048;

/** What a user declares; every field is checked, so anything may arrive here. */
export interface WebhookSpecInput {
  readonly url?: unknown;
  readonly events?: unknown;
  readonly name?: unknown;
  readonly description?: unknown;
  readonly isActive?: unknown;
}

/** A validated, normalized webhook: events are a sorted set, name trimmed, description null when empty. */
export interface WebhookSpec {
  readonly url: string;
  readonly events: WebhookEvent[];
  readonly name: string;
  readonly description: string | null;
  readonly isActive: boolean;
}

/** The fields a user declares and the API can change in place. */
export type WebhookField = keyof WebhookSpec;

/** One rejected field: which, the value as given, and a sentence that says what to do. */
export interface SpecFailure {
  readonly field: WebhookField;
  readonly value: unknown;
  readonly message: string;
}

/** A desired webhook failed validation; `failures` lists every bad field. No API call was made. */
export class WebhookSpecError extends TucoError {
  readonly failures: readonly SpecFailure[];
  constructor(failures: readonly SpecFailure[], subject?: string) {
    const head = subject ? `Invalid webhook ${subject}` : "Invalid webhook";
    super("INVALID_SPEC", `${head}: ${failures.map((f) => f.message).join("; ")}`);
    this.failures = failures;
  }
}

const KNOWN_EVENTS: ReadonlySet<string> = new Set(WEBHOOK_EVENTS);
/** C0 and C1 control characters and DEL. */
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_BUT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// Unicode's own line and paragraph separators: a one-line value must not hold them either.
const LINE_SEPARATORS = /[\u2028\u2029]/;
// Half of a surrogate pair: not text. UTF-8 (Terraform's JSON, Pulumi's gRPC, Tuco's API) cannot carry it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MALFORMED_UNICODE = "contains malformed unicode (half of a surrogate pair, e.g. an emoji cut in two): re-type the text";

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

/** Whether `hostname` (as `URL` gives it) is a loopback address or name. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127(\.\d{1,3}){3}$/.test(host) ||
    host === "[::1]"
  );
}

/** A URL with any `user:password@` part replaced by `***@`, so an error message never shows credentials. */
export function redactUrlCredentials(url: string): string {
  // Greedy up to the LAST "@" of the authority, as URL parsing splits it: a password may hold "@".
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/*)[^/?#\\]*@/, "$1***@");
}

function checkUrl(value: unknown): string | SpecFailure {
  const fail = (why: string): SpecFailure => {
    const shown = typeof value === "string" ? redactUrlCredentials(value) : value;
    return { field: "url", value: shown, message: `url ${showValue(shown)} ${why}` };
  };
  if (value === undefined || value === null) return fail("is missing: set url to the https:// address that receives the events");
  if (typeof value !== "string") return fail(`must be a string, got ${typeof value}: set url to an https:// address`);
  if (value.trim() === "") return fail("is empty: set url to the https:// address that receives the events");
  if (hasLoneSurrogate(value)) return fail(MALFORMED_UNICODE);
  if (value !== value.trim() || CONTROL.test(value) || /\s/.test(value)) {
    return fail("contains whitespace or control characters: remove them (percent-encode them if they belong in the path)");
  }
  if (value.length > MAX_URL_LENGTH) return fail(`is ${value.length} characters long: use at most ${MAX_URL_LENGTH}`);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return fail("is not an absolute URL: write it in full, e.g. https://hooks.example.com/tuco");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return fail(`uses ${parsed.protocol}: Tuco delivers over https://, e.g. https://hooks.example.com/tuco`);
  }
  if (parsed.protocol === "http:" && !isLoopbackHost(parsed.hostname)) {
    return fail("uses plain http:// to a non-loopback host: use https:// (http:// is allowed only for localhost and 127.0.0.1, for local testing)");
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return fail("contains credentials (user:password@, shown as ***): remove them; authenticate deliveries by verifying X-Tuco-Signature instead");
  }
  if (parsed.hostname === "") return fail("has no host: write it in full, e.g. https://hooks.example.com/tuco");
  return value;
}

function checkEvents(value: unknown): WebhookEvent[] | SpecFailure {
  const fail = (why: string): SpecFailure => ({ field: "events", value, message: `events ${showValue(value)} ${why}` });
  const fix = `choose from ${WEBHOOK_EVENTS.join(", ")}`;
  if (value === undefined || value === null) return fail(`is missing: list at least one event (${fix})`);
  if (!Array.isArray(value)) return fail(`must be a list of event names, got ${typeof value}: ${fix}`);
  if (value.length === 0) return fail(`is empty: list at least one event (${fix})`);
  const unknown = value.filter((e) => typeof e !== "string" || !KNOWN_EVENTS.has(e));
  if (unknown.length > 0) {
    return fail(`contains unknown event${unknown.length > 1 ? "s" : ""} ${unknown.map(showValue).join(", ")}: ${fix}`);
  }
  return normalizeEvents(value as string[]) as WebhookEvent[];
}

function checkName(value: unknown): string | SpecFailure {
  const fail = (why: string): SpecFailure => ({ field: "name", value, message: `name ${showValue(value)} ${why}` });
  if (value === undefined || value === null) return fail("is missing: give the webhook a name, e.g. \"crm-events\"");
  if (typeof value !== "string") return fail(`must be a string, got ${typeof value}: give the webhook a name`);
  const name = value.trim();
  if (name === "") return fail("is empty: give the webhook a name, e.g. \"crm-events\"");
  if (hasLoneSurrogate(name)) return fail(MALFORMED_UNICODE);
  if (CONTROL.test(name) || LINE_SEPARATORS.test(name)) return fail("contains control characters (newlines, tabs...): use one line of printable text");
  if ([...name].length > MAX_NAME_LENGTH) return fail(`is ${[...name].length} characters long: use at most ${MAX_NAME_LENGTH}`);
  return name;
}

function checkDescription(value: unknown): string | null | SpecFailure {
  const fail = (why: string): SpecFailure => ({ field: "description", value, message: `description ${showValue(value)} ${why}` });
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") return fail(`must be a string, got ${typeof value}: write a sentence, or leave it out`);
  const text = value.trim();
  if (text === "") return null;
  if (hasLoneSurrogate(text)) return fail(MALFORMED_UNICODE);
  if (CONTROL_BUT_WHITESPACE.test(text)) return fail("contains control characters: use printable text (newlines and tabs are fine)");
  if ([...text].length > MAX_DESCRIPTION_LENGTH) return fail(`is ${[...text].length} characters long: use at most ${MAX_DESCRIPTION_LENGTH}`);
  return text;
}

function checkIsActive(value: unknown): boolean | SpecFailure {
  if (value === undefined) return true;
  if (typeof value === "boolean") return value;
  return { field: "isActive", value, message: `isActive ${showValue(value)} must be true or false: write true or false (a boolean, not a string), or leave it out for true` };
}

function isFailure(v: unknown): v is SpecFailure {
  return typeof v === "object" && v !== null && "message" in v && "field" in v;
}

/** Checks every field and returns either the normalized spec or every failure. Makes no API call. */
export function validateWebhookSpec(input: WebhookSpecInput): { spec: WebhookSpec; failures: [] } | { spec: undefined; failures: SpecFailure[] } {
  const url = checkUrl(input.url);
  const events = checkEvents(input.events);
  const name = checkName(input.name);
  const description = checkDescription(input.description);
  const isActive = checkIsActive(input.isActive);
  const failures = [url, events, name, description, isActive].filter(isFailure);
  if (failures.length > 0) return { spec: undefined, failures };
  return {
    spec: {
      url: url as string,
      events: events as WebhookEvent[],
      name: name as string,
      description: description as string | null,
      isActive: isActive as boolean,
    },
    failures: [],
  };
}

/** Like `validateWebhookSpec`, but throws `WebhookSpecError` naming every bad field. */
export function parseWebhookSpec(input: WebhookSpecInput, subject?: string): WebhookSpec {
  const result = validateWebhookSpec(input);
  if (result.spec === undefined) throw new WebhookSpecError(result.failures, subject);
  return result.spec;
}

/** Longest webhook id we accept, in characters (Tuco's ids are 24 hex characters; the format is not published). */
export const MAX_WEBHOOK_ID_LENGTH = 128;
const WEBHOOK_ID = /^[A-Za-z0-9._~:-]+$/;

/**
 * What is wrong with a webhook id given by a user (`adoptId`, `delete --id`), or undefined when it
 * can be one. Tuco does not publish its id format (its ids are 24 hex characters), so this only
 * refuses what no id can be: empty, over 128 characters, or holding anything but A-Z a-z 0-9 . _ ~ : -
 * (surrounding whitespace aside: callers trim it).
 */
export function checkWebhookId(field: string, value: unknown): string | undefined {
  const fix = "use the id Tuco returned (24 hex characters, see `tuco-webhooks list`)";
  if (value === undefined || value === null) return `${field} ${showValue(value)} is missing: ${fix}`;
  if (typeof value !== "string") return `${field} ${showValue(value)} must be a string, got ${typeof value}: ${fix}`;
  const id = value.trim();
  if (id === "") return `${field} ${showValue(value)} is empty: ${fix}`;
  if (id.length > MAX_WEBHOOK_ID_LENGTH) return `${field} ${showValue(value)} is ${id.length} characters long, no webhook id is: ${fix}`;
  if (!WEBHOOK_ID.test(id)) return `${field} ${showValue(value)} is not a webhook id (only A-Z a-z 0-9 . _ ~ : - can appear in one): ${fix}`;
  return undefined;
}

/** Events as a sorted set: duplicates removed, sorted by code point. */
export function normalizeEvents(events: readonly string[]): string[] {
  return [...new Set(events)].sort();
}
