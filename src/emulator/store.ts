import { createHash, randomBytes } from "node:crypto";
import type { CreatedWebhook, Webhook } from "../api/types";
import { SECRET_WARNING } from "./messages";
import type { ValidCreate, ValidPatch } from "./validate";

/** A webhook as the emulator keeps it: the wire object plus the secret. */
interface StoredWebhook {
  id: string;
  secret: string;
  url: string;
  events: string[];
  name: string;
  description: string | null;
  isActive: boolean;
  lastTriggeredAt: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  failureCount: number;
  createdAt: string;
  updatedAt: string;
}

/** A webhook with its secret, for signing deliveries. Never leaves the emulator. */
export interface SigningWebhook {
  readonly id: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly isActive: boolean;
  readonly secret: string;
}

/** What a workspace answers besides its webhooks: read-only (402 on writes) or no active workspace (400). */
export interface WorkspaceState {
  readOnly?: boolean;
  noWorkspace?: boolean;
}

/** Makes 24-hex ObjectId-style ids: 4-byte seconds timestamp, 5 random bytes per store, 3-byte counter. */
class IdMaker {
  private readonly random = randomBytes(5).toString("hex");
  private counter = randomBytes(3).readUIntBE(0, 3);

  next(): string {
    const seconds = Math.floor(Date.now() / 1000).toString(16).padStart(8, "0");
    this.counter = (this.counter + 1) & 0xffffff;
    return seconds + this.random + this.counter.toString(16).padStart(6, "0");
  }
}

/**
 * Makes webhook secrets (32 random bytes, base64) from a pool of CSPRNG bytes refilled 8 KiB at a
 * time: one `randomBytes` call per 256 secrets instead of one per create, which was a tenth of the
 * emulator's CPU under a POST load (bench/results.md). Every byte is used once.
 */
class SecretMaker {
  private static readonly SIZE = 32;
  private pool = Buffer.alloc(0);
  private offset = 0;

  next(): string {
    if (this.offset + SecretMaker.SIZE > this.pool.length) {
      this.pool = randomBytes(SecretMaker.SIZE * 256);
      this.offset = 0;
    }
    const secret = this.pool.toString("base64", this.offset, this.offset + SecretMaker.SIZE);
    this.pool.fill(0, this.offset, this.offset + SecretMaker.SIZE);
    this.offset += SecretMaker.SIZE;
    return secret;
  }
}

/** A strictly increasing ISO-8601 clock, so `updatedAt` always moves forward on a change, even within one ms. */
function nextTimestamp(previous: string): string {
  const now = Date.now();
  const last = Date.parse(previous);
  return new Date(now > last ? now : last + 1).toISOString();
}

function toWire(w: StoredWebhook): Webhook {
  return {
    id: w.id,
    url: w.url,
    events: [...w.events],
    name: w.name,
    description: w.description,
    isActive: w.isActive,
    lastTriggeredAt: w.lastTriggeredAt,
    lastSuccessAt: w.lastSuccessAt,
    lastFailureAt: w.lastFailureAt,
    failureCount: w.failureCount,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

function sameEvents(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

/** One API key's workspace. Webhooks are kept in insertion order in a Map: O(1) by id, list = reverse order. */
export class Workspace {
  /** Non-reversible label for logs: the first 8 hex of sha256(key). */
  readonly label: string;
  /** The `workspaceId` deliveries carry: stable per key, not reversible to it. */
  readonly orgId: string;
  readOnly = false;
  noWorkspace = false;
  private readonly webhooks = new Map<string, StoredWebhook>();

  constructor(apiKey: string, private readonly ids: IdMaker, private readonly secrets: SecretMaker) {
    const digest = createHash("sha256").update(apiKey).digest("hex");
    this.label = digest.slice(0, 8);
    this.orgId = `org_${createHash("sha256").update(`tuco-emulator-org:${digest}`).digest("hex").slice(0, 24)}`;
  }

  /** Newest first; ties (same createdAt) broken by insertion order, newest first. */
  list(): Webhook[] {
    const out: Webhook[] = new Array(this.webhooks.size);
    let i = this.webhooks.size;
    for (const w of this.webhooks.values()) out[--i] = toWire(w);
    return out;
  }

  get(id: string): Webhook | undefined {
    const w = this.webhooks.get(id);
    return w && toWire(w);
  }

  has(id: string): boolean {
    return this.webhooks.has(id);
  }

  create(input: ValidCreate): CreatedWebhook {
    const now = new Date().toISOString();
    const w: StoredWebhook = {
      id: this.ids.next(),
      secret: this.secrets.next(),
      url: input.url,
      events: input.events,
      name: input.name,
      description: input.description,
      isActive: true,
      lastTriggeredAt: null,
      lastSuccessAt: null,
      lastFailureAt: null,
      failureCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    this.webhooks.set(w.id, w);
    return {
      id: w.id,
      secret: w.secret,
      url: w.url,
      events: [...w.events],
      name: w.name,
      description: w.description,
      createdAt: w.createdAt,
      warning: SECRET_WARNING,
    };
  }

  /** Applies a validated patch; `updatedAt` moves only when a value actually changed. False when the id is unknown. */
  update(id: string, patch: ValidPatch): boolean {
    const w = this.webhooks.get(id);
    if (!w) return false;
    let changed = false;
    if (patch.url !== undefined && patch.url !== w.url) (w.url = patch.url), (changed = true);
    if (patch.events !== undefined && !sameEvents(patch.events, w.events)) (w.events = patch.events), (changed = true);
    if (patch.name !== undefined && patch.name !== w.name) (w.name = patch.name), (changed = true);
    if (patch.description !== undefined && patch.description !== w.description) {
      w.description = patch.description;
      changed = true;
    }
    if (patch.isActive !== undefined && patch.isActive !== w.isActive) (w.isActive = patch.isActive), (changed = true);
    if (changed) w.updatedAt = nextTimestamp(w.updatedAt);
    return true;
  }

  delete(id: string): boolean {
    return this.webhooks.delete(id);
  }

  /** The webhook with its secret, for signing a delivery. */
  forSigning(id: string): SigningWebhook | undefined {
    return this.webhooks.get(id);
  }

  /** Active webhooks subscribed to `event`, in creation order. */
  subscribers(event: string): SigningWebhook[] {
    const out: SigningWebhook[] = [];
    for (const w of this.webhooks.values()) if (w.isActive && w.events.includes(event)) out.push(w);
    return out;
  }

  /** Records one delivery attempt: `lastTriggeredAt` always, then success (reset count) or failure (count + 1). */
  recordDelivery(id: string, success: boolean, at: string): void {
    const w = this.webhooks.get(id);
    if (!w) return;
    w.lastTriggeredAt = at;
    if (success) {
      w.lastSuccessAt = at;
      w.failureCount = 0;
    } else {
      w.lastFailureAt = at;
      w.failureCount += 1;
    }
  }
}

/** All workspaces, keyed by API key (kept only in memory, never logged). */
export class Store {
  private readonly ids = new IdMaker();
  private readonly secrets = new SecretMaker();
  private readonly workspaces = new Map<string, Workspace>();

  /** The key's workspace, created empty on first use. */
  workspace(apiKey: string): Workspace {
    let ws = this.workspaces.get(apiKey);
    if (!ws) {
      ws = new Workspace(apiKey, this.ids, this.secrets);
      this.workspaces.set(apiKey, ws);
    }
    return ws;
  }

  clear(): void {
    this.workspaces.clear();
  }
}
