/**
 * fast-check generators of adversarial but valid webhook specs: unicode and emoji everywhere text
 * goes, the longest allowed lengths, IDN and IP hosts, ports, query strings and fragments, plain http
 * to loopback, duplicate and unordered events, blank descriptions. Most values they make pass the
 * shared model's validation; properties keep only those that do (that is their premise).
 */
import fc from "fast-check";
import { WEBHOOK_EVENTS } from "../../src/api/types";
import { MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, MAX_URL_LENGTH, type WebhookSpecInput } from "../../src/webhook/spec";

/** Text people write: ASCII, accents, CJK, RTL scripts, emoji (astral, with ZWJ and skin tones), any code point. */
const textChar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.,:;!?'\"()[]{}<>/\\|@#$%^&*+=~`") },
  { weight: 2, arbitrary: fc.constantFrom("é", "ü", "ß", "ñ", "ø", "ç", "Ω", "ж", "例", "え", "テ", "日", "本", "中", "ע", "ب", "ह", "ก", "한") },
  // Zero-width joiners and combining marks are text; zero-width spaces, byte order marks and direction overrides mislead and are refused.
  { weight: 1, arbitrary: fc.constantFrom("😀", "🚀", "👩‍💻", "👍🏽", "🇫🇷", "𝔘", "𓀀", "\u200d", "\u0301") },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);

/** A name: one line of printable text, surrounding whitespace allowed (trimmed), up to 128 code points. */
export const nameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: textChar, minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constant("🚀".repeat(MAX_NAME_LENGTH)) },
  { weight: 1, arbitrary: fc.constant(`  ${"n".repeat(MAX_NAME_LENGTH)}\t`) },
  { weight: 1, arbitrary: fc.constant("ﷺ".repeat(MAX_NAME_LENGTH)) },
);

/** A description: any printable text with newlines and tabs, blank, null or left out, up to 1000 code points. */
export const descriptionArb: fc.Arbitrary<string | null | undefined> = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: fc.oneof({ weight: 9, arbitrary: textChar }, { weight: 1, arbitrary: fc.constantFrom("\n", "\t", "\r\n") }), maxLength: 120 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, "", "   ", "\n\t") },
  { weight: 1, arbitrary: fc.constant("😀".repeat(MAX_DESCRIPTION_LENGTH)) },
  { weight: 1, arbitrary: fc.constant(`${"line\n".repeat(MAX_DESCRIPTION_LENGTH / 5 - 1)}last.`) },
);

const idnLabel = fc.string({ unit: fc.constantFrom(..."abcxyz09", "é", "ü", "ß", "ñ", "例", "え", "テ", "ж", "日", "本"), minLength: 1, maxLength: 12 });
/** Hosts Tuco can deliver to over https: DNS names, IDN names (in their punycode form: the model refuses look-alike letters), IPv4 and IPv6 literals. */
const publicHost = fc.oneof(
  fc.domain(),
  fc.tuple(idnLabel, fc.constantFrom("example", "テスト", "bücher", "xn--bcher-kva"), fc.constantFrom("com", "jp", "de", "рф", "中国")).map((p) => new URL(`https://${p.join(".")}/`).hostname),
  fc.constantFrom("93.184.216.34", "[2001:db8::1]", "[2606:4700::6810:84e5]", "1.1.1.1"),
);
/** Loopback hosts, the only ones plain http:// may use. */
const loopbackHost = fc.constantFrom("localhost", "127.0.0.1", "127.255.0.9", "[::1]", "api.localhost", "LOCALHOST");

const pathChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-._~!$&'()*+,;=:@%") },
  { weight: 1, arbitrary: fc.constantFrom("%C3%A9", "%E4%BE%8B", "%F0%9F%98%80", "%D0%B6", "%20", "%2F", "%E2%9C%93") },
);
const segment = fc.string({ unit: pathChar, maxLength: 12 });
const queryPart = fc.string({ unit: fc.oneof(pathChar, fc.constantFrom("/", "?", "=")), maxLength: 12 });

/** An absolute https:// URL (or http:// to loopback) with optional port, path, query and fragment; sometimes exactly 2048 long. */
export const urlArb: fc.Arbitrary<string> = fc
  .record({
    secure: fc.boolean(),
    publicHost,
    loopbackHost,
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    path: fc.array(segment, { maxLength: 5 }),
    query: fc.option(fc.array(fc.tuple(queryPart, queryPart), { minLength: 1, maxLength: 4 }), { nil: undefined }),
    fragment: fc.option(queryPart, { nil: undefined }),
    longest: fc.integer({ min: 0, max: 9 }),
  })
  .map((u) => {
    const host = u.secure ? u.publicHost : u.loopbackHost;
    const scheme = u.secure ? "https" : "http";
    let url = `${scheme}://${host}${u.port !== undefined ? `:${u.port}` : ""}/${u.path.join("/")}`;
    if (u.query) url += `?${u.query.map(([k, v]) => `${k}=${v}`).join("&")}`;
    if (u.fragment !== undefined) url += `#${u.fragment}`;
    // One run in ten: padded to exactly the longest length allowed.
    if (u.longest === 0 && url.length < MAX_URL_LENGTH) {
      const cut = url.indexOf("?") >= 0 ? url.indexOf("?") : url.indexOf("#") >= 0 ? url.indexOf("#") : url.length;
      url = `${url.slice(0, cut)}${"p".repeat(MAX_URL_LENGTH - url.length)}${url.slice(cut)}`;
    }
    return url;
  });

/** Events as users write them: any non-empty mix of the five, duplicated and unordered. */
export const eventsArb: fc.Arbitrary<string[]> = fc.array(fc.constantFrom(...WEBHOOK_EVENTS), { minLength: 1, maxLength: 8 });

/** A whole raw spec as a user might declare it. */
export const specInputArb: fc.Arbitrary<WebhookSpecInput> = fc
  .record({ url: urlArb, events: eventsArb, name: nameArb, description: descriptionArb, isActive: fc.option(fc.boolean(), { nil: undefined }) })
  .map((r) => {
    const input: { -readonly [K in keyof WebhookSpecInput]: WebhookSpecInput[K] } = { url: r.url, events: r.events, name: r.name };
    if (r.description !== undefined) input.description = r.description;
    if (r.isActive !== undefined) input.isActive = r.isActive;
    return input;
  });

/** A stack name or key of an ownership marker: 1-200 characters of A-Z a-z 0-9 . _ / -. */
export const ownerPartArb: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._/-]{1,30}$/),
  fc.constant("k".repeat(200)),
);
