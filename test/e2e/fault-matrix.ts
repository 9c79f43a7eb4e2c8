/**
 * The fault matrix of issue 6, shared by both front ends' tests (faults-pulumi.test.ts,
 * faults-cli.test.ts): each API fault is aimed at the one request that carries an operation,
 * and says what a user should get from it.
 */
import type { FaultSpec, LoggedRequest } from "../../src/emulator";

/** The emulator's stand-in for Tuco's 10 s wait on a health-check ping, in ms. */
export const DELIVERY_TIMEOUT_MS = 1000;
/** `TUCO_TIMEOUT_MS` / `tuco:timeoutMs`: a request that never gets an answer is given up after this, then retried. */
export const TIMEOUT_MS = "1000";

/** The operations a fault is aimed at. The CLI's `apply` is a create or an update; its `delete` a delete. */
export type Op = "create" | "update" | "read" | "delete";

/** What the user should get: the operation retried and succeeded, or failed with a message naming the cause and the next step. */
export type Outcome = "retried" | "fails";

/** One row of the matrix. */
export interface ApiFault {
  /** The fault, as the issue names it. */
  readonly name: string;
  /** The emulator fault, aimed by each cell at its operation's request; "refused": the API URL is a port nothing listens on. */
  readonly fault: Omit<FaultSpec, "method" | "path"> | "refused";
  /** The outcome, for every operation or per operation. */
  readonly outcome: Outcome | Readonly<Record<Op, Outcome>>;
  /** A failure's message: the cause, then the next step (each front end names its own settings). */
  readonly message?: RegExp | { readonly cli: RegExp; readonly pulumi: RegExp };
  /** What a create that succeeded anyway tells the user it did (on the CLI's stderr, as a warning from the Pulumi host). */
  readonly createNotice?: RegExp;
}

/** A create whose webhook was made but whose secret never arrived: the twin is replaced, and the user is told. */
const replacedTwin = (how: string) =>
  new RegExp(`Creating webhook "created" reached Tuco but ${how}\\. Tuco created it as \\w+, but its one-time signing secret never arrived\\. Deleting \\w+, whose secret is lost, and creating the webhook again\\.`);

const SERVER_500 = /failed on Tuco's side \(500: Internal Server Error\).*(Try again later|apply again later)\./;

export const API_FAULTS: readonly ApiFault[] = [
  { name: "429 with Retry-After", fault: { kind: "status", status: 429, retryAfter: 1 }, outcome: "retried" },
  { name: "500", fault: { kind: "status", status: 500 }, outcome: "fails", message: SERVER_500 },
  { name: "502", fault: { kind: "status", status: 502 }, outcome: "retried" },
  { name: "503", fault: { kind: "status", status: 503 }, outcome: "retried" },
  { name: "504", fault: { kind: "status", status: 504 }, outcome: "retried" },
  { name: "connection reset", fault: { kind: "drop" }, outcome: "retried" },
  {
    name: "connection refused",
    fault: "refused",
    outcome: "fails",
    message: {
      cli: /could not reach Tuco \(ECONNREFUSED.*\)\. Check TUCO_API_URL and the network, then try again\./,
      pulumi: /could not reach Tuco \(ECONNREFUSED.*\)\. Check TUCO_API_URL \(Pulumi config tuco:apiUrl\) and the network, then try again\./,
    },
  },
  { name: "no answer (timeout)", fault: { kind: "hang" }, outcome: "retried" },
  { name: "answer lost after the change was made", fault: { kind: "commit-then-drop" }, outcome: "retried", createNotice: replacedTwin("its answer was lost \\(no connection \\(\\w+\\)\\)") },
  {
    // A create's lost secret is recovered (the secretless twin is replaced); a 500 to anything else is not retried.
    name: "500 after the change was made",
    fault: { kind: "commit-then-status", status: 500 },
    outcome: { create: "retried", update: "fails", read: "fails", delete: "fails" },
    message: SERVER_500,
    createNotice: replacedTwin("it answered 500 Internal Server Error"),
  },
];

/** The outcome a row expects for an operation. */
export function outcomeOf(row: ApiFault, op: Op): Outcome {
  return typeof row.outcome === "string" ? row.outcome : row.outcome[op];
}

/** The request that carries an operation, for aiming a fault at it. `id` is the webhook's (none for a create). */
export function requestOf(op: Op, id?: string): { method: string; path: string } {
  switch (op) {
    case "create":
      return { method: "POST", path: "/api/webhooks" };
    case "update":
      return { method: "PATCH", path: `/api/webhooks/${id}` };
    case "read":
      return { method: "GET", path: `/api/webhooks/${id}` };
    case "delete":
      return { method: "DELETE", path: `/api/webhooks/${id}` };
  }
}

/**
 * True when the log shows the fault hit the request and the same request was then sent again and
 * answered (a retried DELETE may find the webhook already gone: 404 is its success).
 */
export function retriedAfterFault(log: readonly LoggedRequest[], request: { method: string; path: string }): boolean {
  const same = log.filter((r) => r.method === request.method && r.path === request.path);
  const faulted = same.findIndex((r) => r.fault !== undefined);
  return faulted >= 0 && same.slice(faulted + 1).some((r) => r.fault === undefined && ((r.status >= 200 && r.status < 300) || (request.method === "DELETE" && r.status === 404)));
}

/** A port on 127.0.0.1 nothing listens on (bound, then closed). */
export async function deadUrl(): Promise<string> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A row's expected failure message at one front end. */
export function messageAt(row: ApiFault, frontEnd: "cli" | "pulumi"): RegExp {
  const message = row.message!;
  return message instanceof RegExp ? message : message[frontEnd];
}
