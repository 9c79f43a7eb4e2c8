/**
 * Where the API client's settings come from (explicit values, else TUCO_API_URL, TUCO_API_KEY and
 * TUCO_TIMEOUT_MS) and the checks they pass before any request. Messages name each setting as the
 * caller says the user sets it (`ApiSettingNames`): a front end that reads them elsewhere (Pulumi
 * config) passes its own names, so the advice is its own.
 */
import { TucoConfigError } from "./errors";
import { DEFAULT_API_URL } from "./types";

/** Time to wait for an answer to one request unless the timeout setting says otherwise, in ms. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** How long Tuco waits for the endpoint during a health-check (its documented 10 s): the health-check request gets this on top of its timeout. */
export const HEALTH_CHECK_ENDPOINT_WAIT_MS = 10_000;
/** Bounds of the timeout setting, in ms. Below 100 ms is almost surely seconds typed as milliseconds. */
export const TIMEOUT_MS_RANGE = { min: 100, max: 600_000 } as const;

/** How messages name each setting: where the user sets it. */
export interface ApiSettingNames {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly timeoutMs: string;
}

/** The settings as environment variables: what `resolveApiConfig` and `TucoClient.fromEnv` read. */
export const ENV_SETTING_NAMES: ApiSettingNames = { apiUrl: "TUCO_API_URL", apiKey: "TUCO_API_KEY", timeoutMs: "TUCO_TIMEOUT_MS" };

/** Where a client's connection settings come from. */
export interface ApiConfig {
  readonly apiUrl: string;
  readonly apiKey: string;
  /** Absent: `DEFAULT_TIMEOUT_MS`. */
  readonly timeoutMs?: number;
}

/**
 * Parses a request timeout given as text (an environment variable or a front end's config value).
 * Throws `TucoConfigError` naming the setting (`name`), the bad value and how to fix it (`fix`).
 */
export function parseTimeoutMs(value: string, name: string, fix: string): number {
  const text = value.trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  const { min, max } = TIMEOUT_MS_RANGE;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  const why = Number.isSafeInteger(n)
    ? n < min
      ? `is below ${min} ms (it is in milliseconds: 30 s is 30000)`
      : `is above ${max} ms (10 minutes)`
    : `is not a whole number of milliseconds`;
  throw new TucoConfigError(`${name} ${JSON.stringify(value)} ${why}: ${fix} a value from ${min} to ${max}, e.g. ${DEFAULT_TIMEOUT_MS} (the default), or leave it unset.`);
}

/** The message of a missing API key. */
function missingKey(names: ApiSettingNames): TucoConfigError {
  return new TucoConfigError(`No Tuco API key: set ${names.apiKey} to your workspace key (tuco_sk_...).`);
}

/**
 * Reads `TUCO_API_URL`, `TUCO_API_KEY` and `TUCO_TIMEOUT_MS`; explicit values win.
 * Throws `TucoConfigError` naming the setting to set or fix, before any request.
 */
export function resolveApiConfig(
  explicit: { apiUrl?: string; apiKey?: string; timeoutMs?: number } = {},
  env: NodeJS.ProcessEnv = process.env,
  names: ApiSettingNames = ENV_SETTING_NAMES,
): ApiConfig {
  const apiKey = explicit.apiKey || env.TUCO_API_KEY || "";
  const apiUrl = explicit.apiUrl || env.TUCO_API_URL || DEFAULT_API_URL;
  if (apiKey === "") throw missingKey(names);
  const rawTimeout = env.TUCO_TIMEOUT_MS;
  const timeoutMs =
    explicit.timeoutMs ?? (rawTimeout !== undefined && rawTimeout !== "" ? parseTimeoutMs(rawTimeout, "TUCO_TIMEOUT_MS", "set it to") : undefined);
  return timeoutMs === undefined ? { apiUrl, apiKey } : { apiUrl, apiKey, timeoutMs };
}

/** A checked API base URL: its text without trailing slashes, its origin and its path prefix. */
export interface ApiBaseUrl {
  readonly url: string;
  readonly origin: string;
  readonly basePath: string;
}

/**
 * Checks an API base URL before any request: http(s), no credentials, never an API key
 * (later messages repeat the URL), and not ending in /api or /api/webhooks (the client adds them). Throws `TucoConfigError` naming the setting; credentials and
 * keys are never repeated.
 */
export function checkApiUrl(value: string, names: ApiSettingNames = ENV_SETTING_NAMES): ApiBaseUrl {
  const raw = value.replace(/\/+$/, "");
  if (/tuco_sk_/i.test(raw)) {
    throw new TucoConfigError(
      `${names.apiUrl} holds an API key (tuco_sk_...), which is not repeated here: set ${names.apiUrl} to the API's address (https://app.tuco.ai) and the key in ${names.apiKey} only.`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not a URL, so where credentials would end is unknown: one holding an "@" is not repeated at all.
    const shown = raw.includes("@") ? "(not repeated: it holds an @, maybe credentials)" : JSON.stringify(raw);
    throw new TucoConfigError(`${names.apiUrl} ${shown} is not a URL: use e.g. https://app.tuco.ai or the emulator's http://127.0.0.1:PORT.`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new TucoConfigError(`${names.apiUrl} ${url.protocol}//***@${url.host} carries credentials (user:password@), which are not repeated here and never sent: remove them; the API key goes in ${names.apiKey}.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TucoConfigError(`${names.apiUrl} ${JSON.stringify(raw)} must start with https:// (or http:// for the local emulator).`);
  }
  const basePath = url.pathname.replace(/\/+$/, "");
  // The client adds /api/webhooks itself: a base URL copied from the API docs' endpoint would get 404 ("no such webhook") for every call.
  const endpoint = /\/api(?:\/webhooks)?$/i.exec(basePath);
  if (endpoint) {
    const fixed = `${url.origin}${basePath.slice(0, endpoint.index)}`;
    throw new TucoConfigError(
      `${names.apiUrl} ${JSON.stringify(raw)} ends in ${endpoint[0]}, which the client adds itself (it would call ${fixed}${endpoint[0]}/api/webhooks, which answers 404): ` +
        `drop the ${endpoint[0]}, i.e. set ${names.apiUrl} to ${fixed}.`,
    );
  }
  return { url: raw, origin: url.origin, basePath };
}

/** Throws the missing-key `TucoConfigError` unless `apiKey` is a non-empty string. */
export function checkApiKey(apiKey: unknown, names: ApiSettingNames = ENV_SETTING_NAMES): string {
  if (typeof apiKey !== "string" || apiKey === "") throw missingKey(names);
  // It goes into a header: a space, a newline or another control character there fails every request, far from its cause.
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new TucoConfigError(`${names.apiKey} holds whitespace, a control character or a non-ASCII character (not repeated here), which no API key has: set it to the key alone, e.g. tuco_sk_..., without a trailing newline.`);
  }
  return apiKey;
}
