/**
 * The ownership marker: a line in a webhook's description, kept by Tuco itself, that says who
 * manages the webhook. An ephemeral runner with no local files can find what a stack created,
 * and nothing that is not provably its own is ever patched or deleted.
 *
 *   [tuco-webhooks stack=<stack> key=<key> instance=<instance> id=<webhook id> sum=<hash>]  a CDKTF stack's
 *   [tuco-webhooks stack=<stack> key=<key> instance=<instance> pending=<nonce> sum=<hash>]  ... while being created
 *   [tuco-webhooks pulumi=<project>/<stack> resource=<hash> id=<webhook id> sum=<hash>]     a Pulumi resource's
 *   [tuco-webhooks pulumi=<project>/<stack> resource=<hash> pending=<nonce> sum=<hash>]     ... while being created
 *   [tuco-webhooks stack=<stack> key=<key>]                                                 tuco-webhooks 0.1 (no instance)
 *
 * `sum` is a checksum of the rest of the line: a marker edited by hand is broken, not another owner's.
 * A marker is the owner's only when it is provably the webhook's own: a confirmed marker names the
 * webhook's own id (a marker copied onto another webhook does not); a pending one carries the time
 * of its create, which must match the webhook's createdAt, and a fingerprint of the url and name it
 * was created with, which must match the webhook's, and only the oldest webhook carrying one create's
 * value is that create's. The user's text may stand before or after it; whitespace around it does
 * not matter.
 *
 * A little over 300 lines, on purpose: the marker's format, its parser, its writer and the rules of
 * what proves ownership are one concept, and each change to one must be read beside the others.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { Webhook } from "../api/types";
import { nodeCrypto as crypto } from "../private/node-crypto";
import { showValue } from "../private/text";
import { invalid, valid, type Checked } from "./problems";

/** What a stack declares a webhook under: its stack name and the construct's key within it. */
export interface Owner {
  readonly stack: string;
  readonly key: string;
}

/** One Terraform state's instance of a stack: its owner (stack, key) plus the instance id from that state. */
export interface StackOwner extends Owner {
  readonly instance: string;
}

/** A Pulumi Webhook resource: its project and stack, and a hash of its URN. */
export interface PulumiOwner {
  /** `<project>/<stack>`. */
  readonly pulumi: string;
  readonly resource: string;
}

/** Whom a marker names. `legacy`: a tuco-webhooks 0.1 marker, which names no instance and so proves no one's ownership. */
export type MarkerOwner = ({ readonly tool: "cdktf" } & StackOwner) | ({ readonly tool: "pulumi" } & PulumiOwner) | ({ readonly tool: "legacy" } & Owner);

/** A marker as written: its owner and the state of the create (confirmed with the webhook's id, or pending). */
export interface Marker {
  readonly owner: MarkerOwner;
  readonly id?: string;
  readonly pending?: string;
}

const VALUE = "[A-Za-z0-9._~:/-]{1,200}";
const MARKER = new RegExp(`\\[tuco-webhooks((?: [a-z]+=${VALUE})+)\\]`, "g");
const PART = /^[A-Za-z0-9._/-]{1,200}$/;
const INSTANCE = /^[A-Za-z0-9._-]{1,64}$/;
/**
 * When, relative to a pending marker's time (Tuco's clock, read by its creator just before the
 * POST, to the second), Tuco may have created the webhook that carries it: from a few seconds
 * before (the Date header's rounding) to 5 minutes after (every attempt of the POST ends within
 * `PENDING_CREATE_ATTEMPTS_MS`). A webhook made later with a copy of the marker (by hand, in the
 * Tuco app) is a copy, even once the original is gone.
 */
const PENDING_CREATED_WITHIN_MS = { before: 5_000, after: 300_000 } as const;
/** How long the attempts of one create may take (the client starts none that could end later), in ms. */
export const PENDING_CREATE_ATTEMPTS_MS = 240_000;

/** Checks a stack name or key for the marker; `field` names it as the user gave it (default: `what`). */
export function checkOwnerPart(what: "stack" | "key", value: unknown, field: string = what): Checked<string> {
  if (typeof value === "string" && PART.test(value)) return valid(value);
  const why = typeof value === "string" ? "cannot mark webhook ownership" : "is missing or not a string";
  return invalid({ field, value, message: `${field} ${showValue(value)} ${why}: use 1-200 characters of A-Z a-z 0-9 . _ / -` });
}

/** Checks a stack instance id (the id of the stack's instance resource in its Terraform state). */
export function checkInstance(value: unknown, field = "instance"): Checked<string> {
  if (typeof value === "string" && INSTANCE.test(value.trim())) return valid(value.trim());
  const why = value === undefined || value === null || value === "" ? "is missing" : "is not a stack instance id";
  return invalid({
    field,
    value,
    message:
      `${field} ${showValue(value)} ${why}: use the id of the stack's instance resource in its Terraform state (1-64 characters of A-Z a-z 0-9 . _ -; ` +
      "`terraform output -raw tuco_webhooks_instance` prints it, and the provisioners get it in TUCO_STACK_INSTANCE)",
  });
}

/**
 * The checksum that ends a marker line: a hash of everything before it, so a marker whose stack,
 * key, instance, id or pending value was edited by hand reads as broken (`unreadable`), never as
 * another owner's. Not a signature: it guards against accidents, not against a holder of the key.
 */
function markerSum(body: string): string {
  return fnv1a32(body);
}

/** The marker line. The owner's parts must have passed their checks. */
export function formatMarker(marker: Marker): string {
  const { owner } = marker;
  const who = owner.tool === "pulumi" ? `pulumi=${owner.pulumi} resource=${owner.resource}` : `stack=${owner.stack} key=${owner.key}${owner.tool === "cdktf" ? ` instance=${owner.instance}` : ""}`;
  const state = marker.id !== undefined ? ` id=${marker.id}` : marker.pending !== undefined ? ` pending=${marker.pending}` : "";
  const body = `tuco-webhooks ${who}${state}`;
  const line = owner.tool === "legacy" ? `[${body}]` : `[${body} sum=${markerSum(body)}]`;
  if (parseMarkerLine(line) === undefined) throw new RangeError(`cannot write the ownership marker ${showValue(line)}`);
  return line;
}

/** The description to send to the API: the user's text, then the marker on its own line. */
export function withMarker(description: string | null, marker: Marker): string {
  const line = formatMarker(marker);
  return description ? `${description}\n\n${line}` : line;
}

function parseMarkerLine(line: string): Marker | undefined {
  MARKER.lastIndex = 0;
  const m = MARKER.exec(line);
  if (!m || m[0] !== line) return undefined;
  const fields = m[1].trim().split(" ").map((f) => f.split("=") as [string, string]);
  const names = fields.map(([k]) => k).join(" ");
  const get = (k: string) => fields.find(([name]) => name === k)?.[1] ?? "";
  const part = (k: string) => PART.test(get(k));
  const state = (rest: string) => (rest === "id" ? { id: get("id") } : { pending: get("pending") });
  if (names === "stack key" && part("stack") && part("key")) return { owner: { tool: "legacy", stack: get("stack"), key: get("key") } };
  // Every other marker ends with the checksum of what precedes it: an edited one is broken.
  const body = line.slice(1, line.lastIndexOf(" sum="));
  if (!names.endsWith(" sum") || get("sum") !== markerSum(body)) return undefined;
  for (const rest of ["id", "pending"]) {
    if (names === `stack key instance ${rest} sum` && part("stack") && part("key") && INSTANCE.test(get("instance"))) {
      return { owner: { tool: "cdktf", stack: get("stack"), key: get("key"), instance: get("instance") }, ...state(rest) };
    }
    if (names === `pulumi resource ${rest} sum` && PART.test(get("pulumi")) && INSTANCE.test(get("resource"))) {
      return { owner: { tool: "pulumi", pulumi: get("pulumi"), resource: get("resource") }, ...state(rest) };
    }
  }
  return undefined;
}

/** Whether a text holds anything that looks like a tuco-webhooks marker (a user's description must not). */
export function containsMarker(text: string): boolean {
  return text.includes("[tuco-webhooks");
}

/**
 * A description's user part with everything that looks like a marker taken out (a broken or second
 * marker, `[tuco-webhooks ...]` typed as a note), for an adopt that puts the one marker back; and
 * what was taken out, to say so.
 */
export function withoutMarkerLikeText(text: string | null): { text: string | null; removed: string[] } {
  if (text === null) return { text: null, removed: [] };
  const removed: string[] = [];
  const kept = text
    .replace(/\[tuco-webhooks[^\]\n]*\]?/g, (m) => {
      removed.push(m);
      return "";
    })
    .split(/\n{2,}/)
    .map((piece) => piece.trim())
    .filter((piece) => piece !== "")
    .join("\n\n");
  return { text: kept === "" ? null : kept, removed };
}

/** A live description read: the user's part, and the one marker in it. */
export interface ReadDescription {
  /** The description without any marker, the text around it joined (null when nothing is left). */
  readonly description: string | null;
  /** The marker, when there is exactly one (the same one repeated counts once). */
  readonly marker: Marker | undefined;
  /** Several different markers, or text that starts like one but is not: nobody's ownership can be proven. */
  readonly unreadable: boolean;
}

/** Reads a live description: the marker anywhere in it, whitespace around it ignored. */
export function readDescription(description: string | null): ReadDescription {
  if (!description) return { description: null, marker: undefined, unreadable: false };
  const lines = description.match(MARKER) ?? [];
  const parsed = [...new Set(lines)].map(parseMarkerLine);
  const user = description
    .split(MARKER)
    .filter((_, i) => i % 2 === 0) // split() interleaves the capture group
    .map((piece) => piece.trim())
    .filter((piece) => piece !== "")
    .join("\n\n");
  const rest = user === "" ? null : user;
  const unreadable = parsed.length > 1 || parsed.some((m) => m === undefined) || containsMarker(user);
  return { description: rest, marker: unreadable ? undefined : parsed[0], unreadable };
}

/** How a webhook's marker relates to the webhook: provably its owner's (`owned`, `pending`), or proving nothing. */
export type Claim = "owned" | "pending" | "copy" | "legacy" | "unreadable" | "none";

/** A live webhook with its marker read. */
export interface OwnedWebhook {
  readonly webhook: Webhook;
  /** The user's part of the description (null when empty). */
  readonly description: string | null;
  readonly marker: Marker | undefined;
  readonly claim: Claim;
}

/** What a pending marker's nonce says about the create that wrote it. */
export interface CreateNonce {
  /** When the create started, ms since the epoch (the creator's clock). */
  readonly at: number;
  /** A short hash of the creator's machine (hostname, boot id and pid namespace). */
  readonly host: string;
  readonly pid: number;
  /** A short hash of the url and name the webhook was created with. */
  readonly target: string;
}

/**
 * A 32-bit FNV-1a hash as 8 hex digits: a tag to tell machines apart (as likely to collide as 8 hex
 * digits of SHA-256), computed without node:crypto, whose first load costs a provisioner's process
 * more than the rest of an in-sync apply's own work.
 */
function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}

let thisHostTag: string | undefined;
/**
 * A short, stable tag of where this process's pids mean something: the hostname and, on Linux, the
 * boot id and the pid namespace (two containers of one machine share a boot id, not their pids).
 * Never the hostname itself.
 */
export function hostTag(): string {
  if (thisHostTag === undefined) {
    const linux = (read: () => string): string => {
      try {
        return read();
      } catch {
        return ""; // not Linux: the hostname alone
      }
    };
    const boot = linux(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
    const pids = linux(() => readlinkSync("/proc/self/ns/pid"));
    thisHostTag = fnv1a32(`${hostname()}\n${boot}\n${pids}`);
  }
  return thisHostTag;
}

/** The fingerprint of the url and name a webhook is created with, in its pending marker. */
function targetTag(target: { readonly url: string; readonly name: string }): string {
  return crypto().createHash("sha256").update(`${target.url}\n${target.name}`).digest("hex").slice(0, 8);
}

/**
 * A fresh per-create value for a pending marker: when (`now`: Tuco's clock, `TucoClient.serverNow()`,
 * so that it matches the webhook's createdAt even from a machine whose clock is off), on which
 * machine, by which process, a random part, and the fingerprint of the url and name of the webhook
 * being created.
 */
export function makeCreateNonce(target: { readonly url: string; readonly name: string }, now: number): string {
  return `${now.toString(36)}-${hostTag()}-${process.pid.toString(36)}-${crypto().randomBytes(4).toString("hex")}-${targetTag(target)}`;
}

/** Reads a nonce `makeCreateNonce` wrote; undefined for anything else. */
export function parseCreateNonce(text: string): CreateNonce | undefined {
  const m = /^([0-9a-z]{1,12})-([0-9a-f]{8})-([0-9a-z]{1,10})-[0-9a-f]{8}-([0-9a-f]{8})$/.exec(text);
  if (!m) return undefined;
  return { at: parseInt(m[1], 36), host: m[2], pid: parseInt(m[3], 36), target: m[4] };
}

/** The claim a marker makes about the webhook that carries it, alone (`readOwners` also compares webhooks). */
function claimOf(webhook: Webhook, read: ReadDescription): Claim {
  if (read.unreadable) return "unreadable";
  const { marker } = read;
  if (!marker) return "none";
  if (marker.owner.tool === "legacy") return "legacy";
  if (marker.id !== undefined) return marker.id === webhook.id ? "owned" : "copy";
  const nonce = parseCreateNonce(marker.pending ?? "");
  const created = Date.parse(webhook.createdAt);
  // A pending marker is its create's own only when it was written with the webhook: at its creation
  // time, with its url and name (a copy is made later, by hand, usually onto another webhook).
  const lag = created - (nonce?.at ?? Number.NaN);
  return nonce && lag >= -PENDING_CREATED_WITHIN_MS.before && lag <= PENDING_CREATED_WITHIN_MS.after && nonce.target === targetTag(webhook) ? "pending" : "copy";
}

/**
 * Reads every webhook's marker and what it proves. One create makes one webhook: of several
 * carrying the same pending value, only the oldest is that create's; the others are copies.
 */
export function readOwners(webhooks: readonly Webhook[]): OwnedWebhook[] {
  const read = webhooks.map((webhook) => {
    const r = readDescription(webhook.description);
    return { webhook, description: r.description, marker: r.marker, claim: claimOf(webhook, r) };
  });
  const firstOfCreate = new Map<string, OwnedWebhook>();
  for (const w of [...read].sort(oldestFirst)) {
    if (w.claim === "pending" && !firstOfCreate.has(w.marker!.pending!)) firstOfCreate.set(w.marker!.pending!, w);
  }
  return read.map((w) => (w.claim === "pending" && firstOfCreate.get(w.marker!.pending!) !== w ? { ...w, claim: "copy" } : w));
}

/** The stack and key a description's marker names (a CDKTF or a 0.1 marker), whatever it proves; undefined for none or a Pulumi one. */
export function markedStackKey(description: string | null): Owner | undefined {
  const owner = readDescription(description).marker?.owner;
  return owner && owner.tool !== "pulumi" ? { stack: owner.stack, key: owner.key } : undefined;
}

/** Whether a marker owner is this stack instance's (and, with `key`, for this key). */
export function isStackOwner(owner: MarkerOwner | undefined, stack: StackOwner | (Omit<StackOwner, "key"> & { key?: undefined })): boolean {
  return owner?.tool === "cdktf" && owner.stack === stack.stack && owner.instance === stack.instance && (stack.key === undefined || owner.key === stack.key);
}

/** Whether a marker owner is this Pulumi resource. */
export function isPulumiOwner(owner: MarkerOwner | undefined, resource: PulumiOwner): boolean {
  return owner?.tool === "pulumi" && owner.pulumi === resource.pulumi && owner.resource === resource.resource;
}

/** Who a marker names, in words, for messages. */
export function describeOwner(owner: MarkerOwner): string {
  if (owner.tool === "pulumi") return `the Pulumi stack ${owner.pulumi} (resource ${owner.resource})`;
  if (owner.tool === "legacy") return `stack ${owner.stack} key ${owner.key} (a tuco-webhooks 0.1 marker, which names no stack instance)`;
  return `stack ${owner.stack} key ${owner.key} of stack instance ${owner.instance}`;
}

/** Orders by creation time, then id, so the choice of the one to keep is stable. */
export function oldestFirst(a: OwnedWebhook, b: OwnedWebhook): number {
  const byTime = Date.parse(a.webhook.createdAt) - Date.parse(b.webhook.createdAt);
  return byTime !== 0 && !Number.isNaN(byTime) ? byTime : a.webhook.id < b.webhook.id ? -1 : a.webhook.id > b.webhook.id ? 1 : 0;
}

/** The marker of a stack instance's webhook once its create is done. */
export function confirmedMarker(owner: StackOwner, id: string): Marker {
  return { owner: { tool: "cdktf", ...owner }, id };
}
