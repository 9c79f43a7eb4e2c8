import { WEBHOOK_EVENTS, type ErrorBody } from "../api/types";
import {
  DESCRIPTION_NOT_STRING,
  DESCRIPTION_TOO_LONG,
  EVENTS_REQUIRED,
  INVALID_URL_FORMAT,
  IS_ACTIVE_NOT_BOOLEAN,
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  MAX_URL_LENGTH,
  NAME_REQUIRED,
  NAME_TOO_LONG,
  URL_REQUIRED,
  URL_TOO_LONG,
  invalidEvents,
} from "./messages";

/** The webhook event names the API knows. */
export const KNOWN_EVENTS: ReadonlySet<string> = new Set(WEBHOOK_EVENTS);

/** A JSON object: not null, not an array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A validated create request. `description` is null when absent or "". */
export interface ValidCreate {
  readonly url: string;
  readonly events: string[];
  readonly name: string;
  readonly description: string | null;
}

/** A validated partial update: only the fields that were present. */
export interface ValidPatch {
  url?: string;
  events?: string[];
  name?: string;
  description?: string | null;
  isActive?: boolean;
}

/** Either the value or the 400 body to answer with. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorBody };

function checkUrl(url: unknown, present: boolean): ErrorBody | undefined {
  if (typeof url !== "string" || url === "") return present ? INVALID_URL_FORMAT : URL_REQUIRED;
  if (url.length > MAX_URL_LENGTH) return URL_TOO_LONG;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return INVALID_URL_FORMAT;
  }
  return parsed.protocol === "http:" || parsed.protocol === "https:" ? undefined : INVALID_URL_FORMAT;
}

function checkEvents(events: unknown): Checked<string[]> {
  if (!Array.isArray(events) || events.length === 0) return { ok: false, error: EVENTS_REQUIRED };
  const bad = events.filter((e) => typeof e !== "string" || !KNOWN_EVENTS.has(e));
  if (bad.length > 0) return { ok: false, error: invalidEvents(bad) };
  return { ok: true, value: [...new Set(events as string[])] };
}

function checkName(name: unknown): ErrorBody | undefined {
  if (typeof name !== "string" || name.trim() === "") return NAME_REQUIRED;
  return name.length > MAX_NAME_LENGTH ? NAME_TOO_LONG : undefined;
}

function checkDescription(description: unknown): Checked<string | null> {
  if (description === undefined || description === null || description === "") return { ok: true, value: null };
  if (typeof description !== "string") return { ok: false, error: DESCRIPTION_NOT_STRING };
  if (description.length > MAX_DESCRIPTION_LENGTH) return { ok: false, error: DESCRIPTION_TOO_LONG };
  return { ok: true, value: description };
}

/** Validates a `POST /api/webhooks` body in the API's order: url, events, name, then description. */
export function validateCreate(body: Record<string, unknown>): Checked<ValidCreate> {
  const urlError = checkUrl(body.url, false);
  if (urlError) return { ok: false, error: urlError };
  const events = checkEvents(body.events);
  if (!events.ok) return events;
  const nameError = checkName(body.name);
  if (nameError) return { ok: false, error: nameError };
  const description = checkDescription(body.description);
  if (!description.ok) return description;
  return {
    ok: true,
    value: { url: body.url as string, events: events.value, name: body.name as string, description: description.value },
  };
}

/** Validates a `PATCH /api/webhooks/{id}` body: only the fields present, same messages and order as create. */
export function validatePatch(body: Record<string, unknown>): Checked<ValidPatch> {
  const patch: ValidPatch = {};
  if (body.url !== undefined) {
    const urlError = checkUrl(body.url, true);
    if (urlError) return { ok: false, error: urlError };
    patch.url = body.url as string;
  }
  if (body.events !== undefined) {
    const events = checkEvents(body.events);
    if (!events.ok) return events;
    patch.events = events.value;
  }
  if (body.name !== undefined) {
    const nameError = checkName(body.name);
    if (nameError) return { ok: false, error: nameError };
    patch.name = body.name as string;
  }
  if ("description" in body && body.description !== undefined) {
    const description = checkDescription(body.description);
    if (!description.ok) return description;
    patch.description = description.value;
  }
  if (body.isActive !== undefined) {
    if (typeof body.isActive !== "boolean") return { ok: false, error: IS_ACTIVE_NOT_BOOLEAN };
    patch.isActive = body.isActive;
  }
  return { ok: true, value: patch };
}
