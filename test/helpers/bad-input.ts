/**
 * The bad-input matrix of issue 6: ONE table of every field a user can give x every kind of bad
 * value, shared by every boundary that takes the field (the shared model, the Pulumi provider's
 * `check` through the real host, the built CLI's `apply` and flags, `TucoWebhook` synthesis).
 * Each row says what the message must show of the value and the fix it must give; the field's
 * name per boundary comes from `FIELDS`.
 */
import { showValue } from "../../src/private/text";

/** Where a user can give input. `flags` = the `delete`/`prune`/`list` command-line flags. */
export type Boundary = "model" | "pulumi" | "cli" | "flags" | "cdktf";

/** Marks a field left out entirely (no key in the object, no flag on the command line). */
export const ABSENT: unique symbol = Symbol("absent");

/** One bad value of one field. */
export interface BadInput {
  /** The field, by its name in the shared model, the Pulumi inputs and the CDKTF props (see `FIELDS` for the CLI's). */
  readonly field: Field;
  /** The kind of bad value, as the issue lists them. */
  readonly kind: string;
  readonly value: unknown;
  /** What the message must show of the value (default `showValue(value)`); "" when there is nothing to show. */
  readonly shows?: string;
  /** What the message must NOT show (a secret given in the wrong place). */
  readonly hides?: string;
  /** The fix the message must give. */
  readonly fix: RegExp;
  /** Only these boundaries (default: every boundary that takes the field). */
  readonly only?: readonly Boundary[];
  /** Why some boundary that takes the field is left out. */
  readonly note?: string;
}

/** The fields, and for each boundary that takes it the name a message must use. */
export const FIELDS = {
  url: { model: "url", pulumi: "url", cli: "url", cdktf: "url" },
  events: { model: "events", pulumi: "events", cli: "events", cdktf: "events" },
  name: { model: "name", pulumi: "name", cli: "name", cdktf: "name" },
  description: { model: "description", pulumi: "description", cli: "description", cdktf: "description" },
  isActive: { model: "isActive", pulumi: "isActive", cli: "isActive", cdktf: "isActive" },
  healthCheck: { pulumi: "healthCheck", cli: "healthCheck", cdktf: "healthCheck" },
  adoptId: { pulumi: "adoptId", flags: "--id" },
  recipients: { cli: "seal.recipients", cdktf: "recipients" },
  sealedSecretPath: { cli: "seal.path", cdktf: "sealedSecretPath" },
  resourceType: { cdktf: "resourceType" },
  stack: { cli: "stack", flags: "stack" },
  key: { cli: "key", flags: "key" },
} as const satisfies Record<string, Partial<Record<Boundary, string>>>;

export type Field = keyof typeof FIELDS;

/** A valid age X25519 recipient (the age specification's example key). */
export const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
/** A well-formed age identity (never used to decrypt anything). */
export const SECRET_KEY = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";

/** The message names the field's name at a boundary, shows the value, and gives the fix. */
export function expectedParts(row: BadInput, boundary: Boundary): { name: string; shows: string; fix: RegExp; hides?: string } {
  const name = (FIELDS[row.field] as Partial<Record<Boundary, string>>)[boundary];
  if (name === undefined) throw new Error(`${row.field} cannot be given at ${boundary}`);
  const shows = row.shows ?? (row.value === ABSENT ? "" : showValue(row.value));
  return { name, shows, fix: row.fix, hides: row.hides };
}

/** The rows that apply at a boundary. */
export function rowsAt(rows: readonly BadInput[], boundary: Boundary): BadInput[] {
  return rows.filter((r) => boundary in FIELDS[r.field] && (r.only === undefined || r.only.includes(boundary)));
}

const url = /set url to (the|an) https:\/\/ address/;
const eventsFix = /choose from message\.sent, message\.failed, message\.fallback, message\.reply, message\.opened/;
const nameFix = /give the webhook a name/;
const policyFix = /use "fail", "warn" or "skip" \(or leave it out for "fail"\)/;
const idFix = /use the id Tuco returned \(24 hex characters/;
const recipientFix = /age-keygen/;
const pathFix = /e\.g\. "/;
const ownerFix = /use 1-200 characters of A-Z a-z 0-9 \. _ \/ -/;
const resourceTypeFix = /use "null_resource" or "terraform_data"/;

/**
 * The table. `dir` is a scratch directory for the file-system cases (a directory, a file in the way).
 * Rows whose value a boundary cannot even carry say so in `only` and `note`.
 */
export function badInputs(dir: { directory: string; fileInTheWay: string }): BadInput[] {
  const long = (n: number, c = "a") => c.repeat(n);
  return [
    // url
    { field: "url", kind: "missing", value: ABSENT, fix: url },
    { field: "url", kind: "null", value: null, fix: url },
    { field: "url", kind: "empty", value: "", fix: url },
    { field: "url", kind: "blank", value: "   ", fix: url },
    { field: "url", kind: "of the wrong type (number)", value: 42, fix: url },
    { field: "url", kind: "of the wrong type (list)", value: ["https://hooks.example.com/tuco"], fix: url },
    { field: "url", kind: "too long", value: `https://hooks.example.com/${long(2100)}`, fix: /use at most 2048/ },
    { field: "url", kind: "with unicode whitespace", value: "https://hooks.example.com/a\u3000b", fix: /remove them/ },
    { field: "url", kind: "with malformed unicode", value: "https://hooks.example.com/\ud83d", fix: /re-type the text/ },
    { field: "url", kind: "with a control character", value: "https://hooks.example.com/\u0000x", fix: /remove them/ },
    { field: "url", kind: "with a newline", value: "https://hooks.example.com/x\n", fix: /remove them/ },
    { field: "url", kind: "http: to a public host", value: "http://hooks.example.com/tuco", fix: /use https:\/\/ \(http:\/\/ is allowed only for localhost/ },
    { field: "url", kind: "relative", value: "/webhooks/tuco", fix: /write it in full, e\.g\. https:\/\/hooks\.example\.com\/tuco/ },
    { field: "url", kind: "malformed (no host)", value: "https://", fix: /write it in full/ },
    { field: "url", kind: "malformed (no colon)", value: "https//hooks.example.com/tuco", fix: /write it in full/ },
    { field: "url", kind: "malformed (bad port)", value: "https://hooks.example.com:99999/tuco", fix: /write it in full/ },
    { field: "url", kind: "with credentials", value: "https://user:hunter2@hooks.example.com/tuco", shows: '"https://***@hooks.example.com/tuco"', hides: "hunter2", fix: /remove them; authenticate deliveries by verifying X-Tuco-Signature/ },
    { field: "url", kind: "with credentials whose password holds an @", value: "https://user:p@ss@hooks.example.com/tuco", shows: '"https://***@hooks.example.com/tuco"', hides: "p@ss", fix: /remove them; authenticate deliveries by verifying X-Tuco-Signature/ },
    { field: "url", kind: "http: with credentials", value: "http://user:hunter2@hooks.example.com/tuco", shows: '"http://***@hooks.example.com/tuco"', hides: "hunter2", fix: /use https:\/\// },
    { field: "url", kind: "of another scheme", value: "ftp://hooks.example.com/tuco", fix: /Tuco delivers over https:\/\// },
    { field: "url", kind: "with a look-alike letter from another script", value: "https://hooks.ex\u0430mple.com/tuco", fix: /outside printable ASCII, which can make it read as another address: write it as "https:\/\/hooks\.xn--/ },
    { field: "url", kind: "a javascript: URL", value: "javascript:alert(1)", fix: /Tuco delivers over https:\/\// },

    // events
    { field: "events", kind: "missing", value: ABSENT, fix: eventsFix },
    { field: "events", kind: "null", value: null, fix: eventsFix },
    { field: "events", kind: "empty", value: [], fix: eventsFix },
    { field: "events", kind: "of the wrong type (string)", value: "message.sent", fix: eventsFix },
    { field: "events", kind: "of the wrong type (number)", value: 5, fix: eventsFix },
    { field: "events", kind: "holding a number", value: [1], fix: eventsFix },
    { field: "events", kind: "holding null", value: ["message.sent", null], fix: eventsFix },
    { field: "events", kind: "holding an unknown event", value: ["message.sent", "message.clicked"], fix: eventsFix },
    { field: "events", kind: "in the wrong case", value: ["MESSAGE.SENT"], fix: eventsFix },
    { field: "events", kind: "with a unicode look-alike", value: ["message.s\u0435nt"], fix: eventsFix },
    { field: "events", kind: "with a control character", value: ["message.sent\n"], fix: eventsFix },
    { field: "events", kind: "too long", value: [`message.${long(5000, "x")}`], fix: eventsFix },

    // name
    { field: "name", kind: "missing", value: ABSENT, fix: nameFix },
    { field: "name", kind: "null", value: null, fix: nameFix },
    { field: "name", kind: "empty", value: "", fix: nameFix },
    { field: "name", kind: "blank", value: " \t ", fix: nameFix },
    { field: "name", kind: "of the wrong type (number)", value: 7, fix: nameFix },
    { field: "name", kind: "of the wrong type (list)", value: ["crm"], fix: nameFix },
    { field: "name", kind: "too long", value: long(129, "n"), fix: /use at most 128/ },
    { field: "name", kind: "too long in emoji", value: "🚀".repeat(129), fix: /is 129 characters long: use at most 128/ },
    { field: "name", kind: "multi-line", value: "crm\nevents", fix: /use one line of printable text/ },
    { field: "name", kind: "with a tab", value: "crm\tevents", fix: /use one line of printable text/ },
    { field: "name", kind: "with a control character", value: "crm\u0007", fix: /use one line of printable text/ },
    { field: "name", kind: "with a unicode line separator", value: "crm\u2028events", fix: /use one line of printable text/ },
    { field: "name", kind: "with a right-to-left override", value: "invoice\u202egpj.exe", fix: /invisible direction or spacing characters .*which make it read as something it is not: remove them/ },
    { field: "name", kind: "with a zero-width space", value: "crm\u200bevents", fix: /which make it read as something it is not: remove them/ },
    { field: "name", kind: "made only of invisible characters", value: "\u200d\u200d", fix: /holds only invisible characters: give the webhook a name a reader can see/ },
    { field: "name", kind: "with malformed unicode", value: "crm \ud800", fix: /re-type the text/ },

    // description (left out, null, "" and blank all mean "no description": not bad)
    { field: "description", kind: "of the wrong type (number)", value: 7, fix: /write a sentence, or leave it out/ },
    { field: "description", kind: "of the wrong type (boolean)", value: true, fix: /write a sentence, or leave it out/ },
    { field: "description", kind: "of the wrong type (list)", value: ["CRM"], fix: /write a sentence, or leave it out/ },
    { field: "description", kind: "too long", value: long(1001, "d"), fix: /use at most 1000/ },
    { field: "description", kind: "with a control character", value: "ring the bell\u0007", fix: /use printable text \(newlines and tabs are fine\)/ },
    { field: "description", kind: "with a right-to-left override", value: "pays out \u202e0001", fix: /which make it read as something it is not: remove them/ },
    { field: "description", kind: "with malformed unicode", value: "CRM \udc00 sync", fix: /re-type the text/ },

    // isActive (left out means true)
    { field: "isActive", kind: "null", value: null, fix: /must be true or false: write true or false \(a boolean, not a string\), or leave it out for true/ },
    { field: "isActive", kind: "empty", value: "", fix: /must be true or false/ },
    { field: "isActive", kind: 'the string "false"', value: "false", fix: /must be true or false/ },
    { field: "isActive", kind: "a number", value: 0, fix: /must be true or false/ },
    { field: "isActive", kind: "a list", value: [true], fix: /must be true or false/ },

    // healthCheck (left out or null means "fail")
    { field: "healthCheck", kind: "empty", value: "", fix: policyFix },
    { field: "healthCheck", kind: "unknown", value: "sometimes", fix: policyFix },
    { field: "healthCheck", kind: "in the wrong case", value: "FAIL", fix: policyFix },
    { field: "healthCheck", kind: "of the wrong type", value: true, fix: policyFix },
    { field: "healthCheck", kind: "with a unicode look-alike", value: "f\u0430il", fix: policyFix },
    { field: "healthCheck", kind: "with a control character", value: "warn\n", fix: policyFix },
    { field: "healthCheck", kind: "too long", value: long(500, "w"), fix: policyFix },

    // adoptId (Pulumi) and delete --id: a webhook id (left out or null: create a new webhook)
    { field: "adoptId", kind: "empty", value: "", fix: idFix },
    { field: "adoptId", kind: "blank", value: "   ", fix: idFix },
    { field: "adoptId", kind: "of the wrong type", value: 42, fix: idFix, only: ["pulumi"] },
    { field: "adoptId", kind: "too long", value: long(129, "f"), fix: idFix },
    { field: "adoptId", kind: "with a space inside", value: "680a1b2c 3d4e5f6789012345", fix: idFix },
    { field: "adoptId", kind: "with a control character", value: "680a1b2c\u00073d4e5f6789012345", fix: idFix },
    { field: "adoptId", kind: "in another script", value: "идентификатор", fix: idFix },
    { field: "adoptId", kind: "a path", value: "../../api/webhooks", fix: idFix },
    { field: "adoptId", kind: "with a query", value: "680a1b2c3d4e5f6789012345?x=1", fix: idFix },

    // recipients (CDKTF prop / CLI seal.recipients)
    { field: "recipients", kind: "missing", value: ABSENT, shows: "", fix: recipientFix },
    { field: "recipients", kind: "null", value: null, shows: "", fix: recipientFix },
    { field: "recipients", kind: "empty", value: [], shows: "", fix: recipientFix },
    { field: "recipients", kind: "of the wrong type", value: 42, fix: recipientFix },
    { field: "recipients", kind: "one string, not a list", value: RECIPIENT, fix: recipientFix, only: ["cdktf"], note: "the CLI spec takes a recipients string (comma or newline separated) by design" },
    { field: "recipients", kind: "holding null", value: [null], shows: "null", fix: recipientFix },
    { field: "recipients", kind: "too long", value: [`age1${long(300, "q")}`], shows: `"age1${long(70, "q")}`, fix: /copy the public key exactly/ },
    { field: "recipients", kind: "with a broken checksum", value: [`${RECIPIENT.slice(0, -1)}q`], shows: JSON.stringify(`${RECIPIENT.slice(0, -1)}q`), fix: /copy the public key exactly/ },
    { field: "recipients", kind: "with a unicode look-alike", value: [`${RECIPIENT.slice(0, -1)}\u0440`], shows: JSON.stringify(`${RECIPIENT.slice(0, -1)}\u0440`), fix: /copy the public key exactly/ },
    { field: "recipients", kind: "with a control character", value: [`${RECIPIENT}\u0000`], shows: JSON.stringify(`${RECIPIENT}\u0000`), fix: /copy the public key exactly/ },
    { field: "recipients", kind: "an SSH key", value: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"], shows: '"ssh-ed25519', fix: /only age1\.\.\. keys from `age-keygen`/ },
    { field: "recipients", kind: "a secret key", value: [SECRET_KEY], shows: "", hides: SECRET_KEY, fix: /use its public key, the age1\.\.\. line `age-keygen -y key\.txt` prints/ },

    // sealedSecretPath (CDKTF prop; left out or null: sealed-secrets/<stack>/<key>.age) / CLI seal.path
    { field: "sealedSecretPath", kind: "missing", value: ABSENT, fix: pathFix, only: ["cli"], note: "CDKTF defaults it" },
    { field: "sealedSecretPath", kind: "null", value: null, fix: pathFix, only: ["cli"], note: "CDKTF defaults it" },
    { field: "sealedSecretPath", kind: "empty", value: "", fix: pathFix },
    { field: "sealedSecretPath", kind: "blank", value: "  ", fix: pathFix },
    { field: "sealedSecretPath", kind: "of the wrong type", value: 42, fix: pathFix },
    { field: "sealedSecretPath", kind: "too long for the file system", value: `secrets/${long(300, "s")}.age`, fix: /at most 4096 bytes, 255 per name/ },
    { field: "sealedSecretPath", kind: "with a newline", value: "secrets/crm\n.age", fix: /use a plain file path/ },
    { field: "sealedSecretPath", kind: "with NUL", value: "secrets/crm\u0000.age", fix: /use a plain file path/ },
    { field: "sealedSecretPath", kind: "with malformed unicode", value: "secrets/\ud800.age", fix: /re-type the path/ },
    { field: "sealedSecretPath", kind: "a directory", value: dir.directory, fix: /is a directory: name a file inside it/ },
    { field: "sealedSecretPath", kind: "under a file", value: `${dir.fileInTheWay}/crm.age`, fix: /is a file, not a directory\. Choose another path/ },

    // resourceType (CDKTF; left out or null: the context value, else null_resource)
    { field: "resourceType", kind: "empty", value: "", fix: resourceTypeFix },
    { field: "resourceType", kind: "unknown", value: "aws_instance", fix: resourceTypeFix },
    { field: "resourceType", kind: "in the wrong case", value: "NULL_RESOURCE", fix: resourceTypeFix },
    { field: "resourceType", kind: "of the wrong type", value: 1, fix: resourceTypeFix },
    { field: "resourceType", kind: "with a control character", value: "terraform_data\n", fix: resourceTypeFix },

    // stack and key of the ownership marker (CLI spec, and the delete/prune/list flags)
    { field: "stack", kind: "missing", value: ABSENT, fix: ownerFix, only: ["cli"], note: "each command says which flags it needs" },
    { field: "stack", kind: "null", value: null, fix: ownerFix, only: ["cli"] },
    { field: "stack", kind: "empty", value: "", fix: ownerFix },
    { field: "stack", kind: "of the wrong type", value: 3, fix: ownerFix, only: ["cli"] },
    { field: "stack", kind: "too long", value: long(201, "s"), fix: ownerFix },
    { field: "stack", kind: "with a space", value: "my stack", fix: ownerFix },
    { field: "stack", kind: "in another script", value: "прод", fix: ownerFix },
    { field: "stack", kind: "with a control character", value: "prod\n", fix: ownerFix },
    { field: "stack", kind: "with malformed unicode", value: "prod\ud800", fix: ownerFix, only: ["cli"], note: "argv is UTF-8" },
    { field: "key", kind: "missing", value: ABSENT, fix: ownerFix, only: ["cli"] },
    { field: "key", kind: "empty", value: "", fix: ownerFix, only: ["cli"], note: 'prune --keep "" means "keep nothing", and delete names the empty key' },
    { field: "key", kind: "of the wrong type", value: ["crm"], fix: ownerFix, only: ["cli"] },
    { field: "key", kind: "too long", value: long(201, "k"), fix: ownerFix },
    { field: "key", kind: "with a space", value: "crm events", fix: ownerFix },
    { field: "key", kind: "with a marker-breaking bracket", value: "crm]", fix: ownerFix },
    { field: "key", kind: "with a control character", value: "crm\u0007x", fix: ownerFix },
  ];
}

/** Inputs that look bad but are not: each boundary takes them and normalizes them the same way. */
export interface AcceptedInput {
  readonly field: "events" | "name" | "description" | "isActive" | "url";
  readonly kind: string;
  readonly value: unknown;
  /** The normalized value the API gets (`undefined`: the field is not sent). */
  readonly normalized: unknown;
}

export const ACCEPTED: readonly AcceptedInput[] = [
  { field: "events", kind: "duplicate and unordered events", value: ["message.reply", "message.sent", "message.reply"], normalized: ["message.reply", "message.sent"] },
  { field: "name", kind: "a name with surrounding spaces and emoji", value: "  Relances 🚀 é  ", normalized: "Relances 🚀 é" },
  { field: "description", kind: "a blank description", value: "   ", normalized: undefined },
  { field: "description", kind: "a null description", value: null, normalized: undefined },
  { field: "url", kind: "plain http to loopback with a port and a query", value: "http://127.0.0.1:9/hook?x=1", normalized: "http://127.0.0.1:9/hook?x=1" },
];
