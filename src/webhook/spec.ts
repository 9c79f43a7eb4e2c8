/**
 * The desired webhook (`WebhookSpec`) as both front ends declare it, and its one check: every field
 * validated and normalized before any request, each problem naming the field, the value and the fix.
 */
import { TucoError } from "../api/errors";
import { WEBHOOK_EVENTS, type WebhookEvent } from "../api/types";
import { CONTROL, CONTROL_BUT_WHITESPACE, LINE_SEPARATORS, MISLEADING, hasLoneSurrogate, showValue } from "../private/text";
import { isLoopbackHost, redactUrlCredentials } from "../private/url";
import { MAX_WEBHOOK_ID_LENGTH, isWebhookIdShaped } from "../private/webhook-id";
import { containsMarker } from "./ownership";
import { describeProblems, invalid, valid, type Checked, type Problem } from "./problems";

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

/** A desired webhook failed validation; `problems` lists every bad field. No API call was made. */
export class WebhookSpecError extends TucoError {
  readonly code = "INVALID_SPEC";
  readonly problems: readonly Problem<WebhookField>[];
  constructor(problems: readonly Problem<WebhookField>[], subject?: string) {
    const head = subject ? `Invalid webhook ${subject}` : "Invalid webhook";
    super(`${head}: ${describeProblems(problems)}`);
    this.problems = problems;
  }
}

const KNOWN_EVENTS: ReadonlySet<string> = new Set(WEBHOOK_EVENTS);
const MALFORMED_UNICODE = "contains malformed unicode (half of a surrogate pair, e.g. an emoji cut in two): re-type the text";
const MISLEADING_TEXT = "contains invisible direction or spacing characters (shown as \\u escapes), which make it read as something it is not: remove them";

function checkUrl(value: unknown): string | Problem<WebhookField> {
  const fail = (why: string): Problem<WebhookField> => {
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
  if (/[^\x21-\x7e]/.test(value)) {
    // A look-alike letter from another script makes a URL read as another address: only the ASCII form is unambiguous.
    const ascii = parsed.username === "" && parsed.password === "" ? ` ${JSON.stringify(parsed.href)}` : " the host in punycode (xn--...) and the rest percent-encoded";
    return fail(`contains characters outside printable ASCII, which can make it read as another address: write it as${ascii}`);
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

function checkEvents(value: unknown): WebhookEvent[] | Problem<WebhookField> {
  const fail = (why: string): Problem<WebhookField> => ({ field: "events", value, message: `events ${showValue(value)} ${why}` });
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

function checkName(value: unknown): string | Problem<WebhookField> {
  const fail = (why: string): Problem<WebhookField> => ({ field: "name", value, message: `name ${showValue(value)} ${why}` });
  if (value === undefined || value === null) return fail("is missing: give the webhook a name, e.g. \"crm-events\"");
  if (typeof value !== "string") return fail(`must be a string, got ${typeof value}: give the webhook a name`);
  const name = value.trim();
  if (name === "") return fail("is empty: give the webhook a name, e.g. \"crm-events\"");
  if (hasLoneSurrogate(name)) return fail(MALFORMED_UNICODE);
  if (CONTROL.test(name) || LINE_SEPARATORS.test(name)) return fail("contains control characters (newlines, tabs...): use one line of printable text");
  if (MISLEADING.test(name)) return fail(MISLEADING_TEXT);
  if (/^[\p{Cf}\p{Z}\s]*$/u.test(name)) return fail("holds only invisible characters: give the webhook a name a reader can see, e.g. \"crm-events\"");
  if ([...name].length > MAX_NAME_LENGTH) return fail(`is ${[...name].length} characters long: use at most ${MAX_NAME_LENGTH}`);
  return name;
}

function checkDescription(value: unknown): string | null | Problem<WebhookField> {
  const fail = (why: string): Problem<WebhookField> => ({ field: "description", value, message: `description ${showValue(value)} ${why}` });
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") return fail(`must be a string, got ${typeof value}: write a sentence, or leave it out`);
  const text = value.trim();
  if (text === "") return null;
  if (hasLoneSurrogate(text)) return fail(MALFORMED_UNICODE);
  if (CONTROL_BUT_WHITESPACE.test(text)) return fail("contains control characters: use printable text (newlines and tabs are fine)");
  if (MISLEADING.test(text)) return fail(MISLEADING_TEXT);
  if (containsMarker(text)) return fail("contains a tuco-webhooks ownership marker ([tuco-webhooks ...]): remove it, tuco-webhooks writes and keeps its own");
  if ([...text].length > MAX_DESCRIPTION_LENGTH) return fail(`is ${[...text].length} characters long: use at most ${MAX_DESCRIPTION_LENGTH}`);
  return text;
}

function checkIsActive(value: unknown): boolean | Problem<WebhookField> {
  if (value === undefined) return true;
  if (typeof value === "boolean") return value;
  return { field: "isActive", value, message: `isActive ${showValue(value)} must be true or false: write true or false (a boolean, not a string), or leave it out for true` };
}

function isProblem(v: unknown): v is Problem<WebhookField> {
  return typeof v === "object" && v !== null && "message" in v && "field" in v;
}

/** Checks every field and returns either the normalized spec or every problem. Makes no API call. */
export function validateWebhookSpec(input: WebhookSpecInput): Checked<WebhookSpec, WebhookField> {
  const url = checkUrl(input.url);
  const events = checkEvents(input.events);
  const name = checkName(input.name);
  const description = checkDescription(input.description);
  const isActive = checkIsActive(input.isActive);
  const problems = [url, events, name, description, isActive].filter(isProblem);
  if (problems.length > 0) return invalid(problems[0], ...problems.slice(1));
  return valid({
    url: url as string,
    events: events as WebhookEvent[],
    name: name as string,
    description: description as string | null,
    isActive: isActive as boolean,
  });
}

/** Like `validateWebhookSpec`, but throws `WebhookSpecError` naming every bad field. */
export function parseWebhookSpec(input: WebhookSpecInput, subject?: string): WebhookSpec {
  const result = validateWebhookSpec(input);
  if (result.value === undefined) throw new WebhookSpecError(result.problems, subject);
  return result.value;
}

/**
 * Checks a webhook id given by a user (`adoptId`, `delete --id`) and returns it trimmed. Tuco does
 * not publish its id format (its ids are 24 hex characters), so this only refuses what no id can
 * be: empty, over 128 characters, or holding anything but A-Z a-z 0-9 . _ ~ : - (surrounding
 * whitespace aside). `field` names it as the user gave it.
 */
export function checkWebhookId(field: string, value: unknown): Checked<string> {
  const fix = "use the id Tuco returned (24 hex characters, see `tuco-webhooks list`)";
  const bad = (why: string) => invalid({ field, value, message: `${field} ${showValue(value)} ${why}: ${fix}` });
  if (value === undefined || value === null) return bad("is missing");
  if (typeof value !== "string") return bad(`must be a string, got ${typeof value}`);
  const id = value.trim();
  if (id === "") return bad("is empty");
  if (id.length > MAX_WEBHOOK_ID_LENGTH) return bad(`is ${id.length} characters long, no webhook id is`);
  if (!isWebhookIdShaped(id)) return bad("is not a webhook id (only A-Z a-z 0-9 . _ ~ : - can appear in one)");
  return valid(id);
}

/** Events as a sorted set: duplicates removed, sorted by code point. */
export function normalizeEvents(events: readonly string[]): string[] {
  return [...new Set(events)].sort();
}
