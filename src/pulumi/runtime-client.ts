/**
 * The Webhook provider runtime's settings (Pulumi config `tuco:apiKey`, `tuco:apiUrl`,
 * `tuco:timeoutMs`, else the environment) and the one API client of the host process.
 */
import { TucoClient } from "../api/client";
import { parseTimeoutMs, resolveApiConfig, type ApiSettingNames } from "../api/config";

/** Where the runtime reads its settings: Pulumi config first, then the environment. */
export interface RuntimeSettings {
  readonly apiKey?: string;
  readonly apiUrl?: string;
  /** `tuco:timeoutMs` as configured (text); validated when the client is made. */
  readonly timeoutMs?: string;
}

/** The subset of Pulumi's dynamic `Config` the runtime reads. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/** How the client's messages name its settings for a Pulumi user. */
const PULUMI_SETTING_NAMES: ApiSettingNames = {
  apiUrl: "TUCO_API_URL (Pulumi config tuco:apiUrl)",
  apiKey: "TUCO_API_KEY (or the tuco:apiKey Pulumi config, as a secret)",
  timeoutMs: "TUCO_TIMEOUT_MS (Pulumi config tuco:timeoutMs)",
};

let settings: RuntimeSettings = {};
let client: TucoClient | undefined;
let warnSink: (message: string) => void = (message) => process.stderr.write(`warning: ${message}\n`);

/** Reports a warning where the Pulumi engine shows it. */
export function warn(message: string): void {
  warnSink(message);
}

/** Takes `tuco:apiKey` / `tuco:apiUrl` / `tuco:timeoutMs` from the Pulumi config the host passes to `configure`. */
export function configure(req: { config?: ConfigSource } | undefined): void {
  const read = (key: string): string | undefined => {
    try {
      const value = req?.config?.get(key);
      return typeof value === "string" && value !== "" ? value : undefined;
    } catch {
      // The host's Config throws when Configure was never called.
      return undefined;
    }
  };
  setSettings({ apiKey: read("tuco:apiKey"), apiUrl: read("tuco:apiUrl"), timeoutMs: read("tuco:timeoutMs") });
}

/** Replaces the settings (explicit values win over TUCO_API_KEY / TUCO_API_URL / TUCO_TIMEOUT_MS) and drops the cached client. */
export function setSettings(next: RuntimeSettings): void {
  settings = next;
  const old = client;
  client = undefined;
  void old?.close().catch(() => {});
}

/** Where warnings go (stderr by default, which the Pulumi engine shows). Returns the previous sink. */
export function setWarn(sink: (message: string) => void): (message: string) => void {
  const previous = warnSink;
  warnSink = sink;
  return previous;
}

/**
 * The one client of this host process, shared by every resource operation (so its retries and
 * rate-limit pacing see all of them). Bad settings throw here, before any request: `configure`
 * must not throw, because the host caches the provider before configuring it.
 */
export function api(): TucoClient {
  if (client === undefined) {
    const timeoutMs = settings.timeoutMs === undefined ? undefined : parseTimeoutMs(settings.timeoutMs, "Pulumi config tuco:timeoutMs", "run `pulumi config set tuco:timeoutMs` with");
    const config = resolveApiConfig({ apiKey: settings.apiKey, apiUrl: settings.apiUrl, timeoutMs }, process.env, PULUMI_SETTING_NAMES);
    client = new TucoClient({ ...config, settingNames: PULUMI_SETTING_NAMES });
  }
  return client;
}

