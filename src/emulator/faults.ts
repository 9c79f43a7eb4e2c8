import { isRecord } from "./validate";

/** What a fault does to a matching `/api/*` request. */
export type FaultKind = "status" | "drop" | "commit-then-drop" | "commit-then-status" | "hang" | "latency";

export const FAULT_KINDS: readonly FaultKind[] = ["status", "drop", "commit-then-drop", "commit-then-status", "hang", "latency"];

/** A fault to inject, as `POST /_emulator/faults` takes it. */
export interface FaultSpec {
  readonly kind: FaultKind;
  /** @default - any method */
  readonly method?: string;
  /** Exact path, or a prefix ending in "*" (e.g. "/api/webhooks/*"). @default - any /api/* path */
  readonly path?: string;
  /** How many matching requests it affects. @default 1, unlimited for "latency" */
  readonly times?: number;
  /** Status to answer, for kinds "status" and "commit-then-status". */
  readonly status?: number;
  /** Seconds for a Retry-After header, for kinds "status" and "commit-then-status". @default - no header */
  readonly retryAfter?: number;
  /** Body to answer, for kinds "status" and "commit-then-status". @default - {"error": "<reason phrase>"} */
  readonly body?: Record<string, unknown>;
  /** Delay before handling, for kind "latency". */
  readonly latencyMs?: number;
}

/** A registered fault, as `GET /_emulator/faults` lists it. `remaining` is null when unlimited. */
export interface Fault extends FaultSpec {
  readonly id: string;
  remaining: number | null;
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/** Parses a fault request body, or returns the reason it is invalid. */
export function parseFault(input: unknown): FaultSpec | { readonly error: string } {
  if (!isRecord(input)) return { error: "A fault must be a JSON object" };
  const { kind, method, path, times, status, retryAfter, body, latencyMs } = input;
  if (typeof kind !== "string" || !(FAULT_KINDS as readonly string[]).includes(kind)) {
    return { error: `kind must be one of ${FAULT_KINDS.join(", ")}; got ${JSON.stringify(kind)}` };
  }
  if (method !== undefined && (typeof method !== "string" || method === "")) return { error: "method must be an HTTP method such as POST" };
  if (path !== undefined && (typeof path !== "string" || !path.startsWith("/"))) {
    return { error: `path must start with "/" (exact path, or a prefix ending in "*"); got ${JSON.stringify(path)}` };
  }
  if (times !== undefined && (!isNonNegativeInteger(times) || times === 0)) return { error: `times must be a positive integer; got ${JSON.stringify(times)}` };
  if ((kind === "status" || kind === "commit-then-status") && !(isNonNegativeInteger(status) && status >= 100 && status <= 599)) {
    return { error: `status must be an integer from 100 to 599 for kind "${kind}"; got ${JSON.stringify(status)}` };
  }
  if (retryAfter !== undefined && !isNonNegativeInteger(retryAfter)) return { error: `retryAfter must be whole seconds >= 0; got ${JSON.stringify(retryAfter)}` };
  if (body !== undefined && !isRecord(body)) return { error: "body must be a JSON object" };
  if (kind === "latency" && !isNonNegativeInteger(latencyMs)) {
    return { error: `latencyMs must be a non-negative integer for kind "latency"; got ${JSON.stringify(latencyMs)}` };
  }
  return {
    kind: kind as FaultKind,
    ...(method !== undefined && { method: method.toUpperCase() }),
    ...(path !== undefined && { path }),
    ...(times !== undefined && { times }),
    ...(status !== undefined && { status: status as number }),
    ...(retryAfter !== undefined && { retryAfter }),
    ...(body !== undefined && { body }),
    ...(latencyMs !== undefined && { latencyMs: latencyMs as number }),
  };
}

function matches(f: Fault, method: string, path: string): boolean {
  if (f.method !== undefined && f.method !== method) return false;
  if (f.path === undefined) return true;
  return f.path.endsWith("*") ? path.startsWith(f.path.slice(0, -1)) : f.path === path;
}

/**
 * Registered faults, consumed in registration order. A request first takes the delay of the
 * first matching "latency" fault, then the first matching fault of any other kind.
 */
export class FaultRegistry {
  private faults: Fault[] = [];
  private nextId = 1;

  get size(): number {
    return this.faults.length;
  }

  add(spec: FaultSpec): Fault {
    const unlimited = spec.kind === "latency" && spec.times === undefined;
    const fault: Fault = { id: `fault_${this.nextId++}`, ...spec, remaining: unlimited ? null : (spec.times ?? 1) };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(): void {
    this.faults = [];
  }

  /** The delay in ms the first matching latency fault imposes (0 when none), using one of its `times`. */
  takeLatency(method: string, path: string): number {
    const f = this.take(method, path, true);
    return f?.latencyMs ?? 0;
  }

  /** The first matching non-latency fault, using one of its `times`. */
  takeFault(method: string, path: string): Fault | undefined {
    return this.take(method, path, false);
  }

  private take(method: string, path: string, latency: boolean): Fault | undefined {
    const i = this.faults.findIndex((f) => (f.kind === "latency") === latency && matches(f, method, path));
    if (i === -1) return undefined;
    const f = this.faults[i];
    if (f.remaining !== null && --f.remaining <= 0) this.faults.splice(i, 1);
    return f;
  }
}
