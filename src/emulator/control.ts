import { request } from "undici";
import type { WebhookEvent } from "../api/types";
import type { Fault, FaultSpec } from "./faults";
import type { LoggedRequest } from "./request-log";

/** A workspace's state as `POST /_emulator/workspace` sets it. Omitted fields stay as they are. */
export interface WorkspaceStateInput {
  /** Writes (POST/PATCH/DELETE) answer 402 READ_ONLY. */
  readonly readOnly?: boolean;
  /** Every /api/webhooks route answers 400 "No active workspace". */
  readonly noWorkspace?: boolean;
}

/** One attempt of a fired event, as `POST /_emulator/events` reports it. */
export interface EventDelivery {
  readonly webhookId: string;
  readonly url: string;
  readonly success: boolean;
  readonly statusCode?: number;
  readonly error?: string;
}

/** The control surface answered something other than what the call expects. */
export class EmulatorControlError extends Error {
  readonly statusCode: number;
  readonly body: unknown;
  constructor(what: string, statusCode: number, body: unknown) {
    super(`Emulator control ${what} answered HTTP ${statusCode}: ${JSON.stringify(body)}`);
    this.name = "EmulatorControlError";
    this.statusCode = statusCode;
    this.body = body;
  }
}

/** A typed client for the emulator's `/_emulator/*` test surface. */
export class EmulatorControl {
  private readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  /** Clears all workspaces, faults, the request log, workspace states and the rate limit (back to the start option). */
  async reset(): Promise<void> {
    await this.call("POST", "/_emulator/reset", 200);
  }

  /** Every /api/* request since the last reset/clear, in arrival order. */
  async requests(): Promise<LoggedRequest[]> {
    return ((await this.call("GET", "/_emulator/requests", 200)) as { requests: LoggedRequest[] }).requests;
  }

  async clearRequests(): Promise<void> {
    await this.call("DELETE", "/_emulator/requests", 200);
  }

  /** Registers a fault and returns its id. */
  async addFault(fault: FaultSpec): Promise<string> {
    return ((await this.call("POST", "/_emulator/faults", 201, fault)) as { id: string }).id;
  }

  async faults(): Promise<Fault[]> {
    return ((await this.call("GET", "/_emulator/faults", 200)) as { faults: Fault[] }).faults;
  }

  async clearFaults(): Promise<void> {
    await this.call("DELETE", "/_emulator/faults", 200);
  }

  async setWorkspace(apiKey: string, state: WorkspaceStateInput): Promise<void> {
    await this.call("POST", "/_emulator/workspace", 200, { apiKey, ...state });
  }

  /** Sets the /api/* rate limit in requests per second; null removes it. */
  async setRateLimit(requestsPerSecond: number | null): Promise<void> {
    await this.call("POST", "/_emulator/rate-limit", 200, { requestsPerSecond });
  }

  /** Fires `event` to the key's active subscribed webhooks and resolves once every attempt settled. */
  async fireEvent(apiKey: string, event: WebhookEvent, data?: Record<string, unknown>): Promise<EventDelivery[]> {
    const body = { event, ...(data !== undefined && { data }) };
    return ((await this.call("POST", "/_emulator/events", 200, body, apiKey)) as { deliveries: EventDelivery[] }).deliveries;
  }

  private async call(method: string, path: string, expected: number, body?: unknown, apiKey?: string): Promise<unknown> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
    const res = await request(`${this.baseUrl}${path}`, {
      method: method as "GET",
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const parsed: unknown = await res.body.json();
    if (res.statusCode !== expected) throw new EmulatorControlError(`${method} ${path}`, res.statusCode, parsed);
    return parsed;
  }
}
