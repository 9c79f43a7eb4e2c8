/**
 * The fault matrix of issue 6 through the built CLI, run exactly as the CDKTF provisioners run it:
 * `node <cli> apply` with the spec in TUCO_WEBHOOK_SPEC (a create, and an update of a webhook an
 * earlier apply made) and `node <cli> delete --stack S --key K` (the destroy provisioner), each a
 * separate process, all three at once. Each fault hits the request behind its operation. A failed
 * provisioner makes terraform stop and re-run it on the next apply: the test runs it again once the
 * fault is gone. Then the API must hold exactly the stack's webhooks, one per key, and each sealed
 * file, opened by the real `age` with the test identity, must hold the secret Tuco signs with.
 * Rows run concurrently, each against its own emulator.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { checkTucoSignature } from "../../src/receiver/signature";
import { sealSecret, writeSealedFile } from "../../src/secrets";
import { readDescription } from "../../src/webhook/ownership";
import { ownedDescription } from "../helpers/markers";
import { listWebhooks } from "../cli/helpers";
import { ageDecrypt, ageKeypair, requireAgeBinary } from "../helpers/age";
import { type ProcessRun, requireBuiltCli, runCli } from "../helpers/process";
import { startReceiver, type TestReceiver } from "../helpers/receiver";
import { API_FAULTS, DELIVERY_TIMEOUT_MS, TIMEOUT_MS, deadUrl, messageAt, outcomeOf, requestOf, retriedAfterFault, type Op } from "./fault-matrix";

const KEY = "tuco_sk_faults_cli_e2e";
const STACK = "faults";
/** The stack instance the provisioners get from Terraform's state. */
const INSTANCE = "faults-instance";

let dir: string;
let identity: string;
let recipient: string;

beforeAll(async () => {
  requireBuiltCli();
  requireAgeBinary();
  dir = await mkdtemp(join(tmpdir(), "tuco-faults-cli-"));
  const age = ageKeypair(dir, "identity.txt");
  recipient = age.recipient;
  identity = age.identityFile;
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** One row's world: its own emulator (faults are global to an emulator), receiver and sealed files. */
interface World {
  readonly emulator: RunningEmulator;
  readonly control: EmulatorControl;
  readonly receiver: TestReceiver;
  readonly folder: string;
  close(): Promise<void>;
}

async function world(name: string): Promise<World> {
  const emulator = await startEmulator({ port: 0, deliveryTimeoutMs: DELIVERY_TIMEOUT_MS });
  const receiver = await startReceiver(200);
  return {
    emulator,
    control: new EmulatorControl(emulator.url),
    receiver,
    folder: join(dir, name.replace(/\W+/g, "-")),
    async close() {
      await receiver.close();
      await emulator.close();
    },
  };
}

const sealedPath = (w: World, key: string) => join(w.folder, `${key}.age`);

function specOf(w: World, key: string, extra: Record<string, unknown> = {}) {
  return { stack: STACK, key, name: key, url: `${w.receiver.url}/${key}`, events: ["message.sent"], seal: { recipients: [recipient], path: sealedPath(w, key) }, ...extra };
}

/** `node <cli> apply` as the create provisioner runs it. */
function apply(apiUrl: string, spec: unknown): Promise<ProcessRun> {
  return runCli(["apply"], { TUCO_API_URL: apiUrl, TUCO_API_KEY: KEY, TUCO_TIMEOUT_MS: TIMEOUT_MS, TUCO_WEBHOOK_SPEC: JSON.stringify(spec), TUCO_STACK_INSTANCE: INSTANCE });
}

/** `node <cli> delete --stack S --key K` as the destroy provisioner runs it. */
function destroy(apiUrl: string, key: string): Promise<ProcessRun> {
  return runCli(["delete", "--stack", STACK, "--key", key], { TUCO_API_URL: apiUrl, TUCO_API_KEY: KEY, TUCO_TIMEOUT_MS: TIMEOUT_MS, TUCO_STACK_INSTANCE: INSTANCE });
}

/** A webhook an earlier apply made: created through the API with its ownership marker, its secret sealed as apply seals it. */
async function madeEarlier(w: World, key: string): Promise<{ id: string; secret: string }> {
  const spec = specOf(w, key);
  const res = await request(`${w.emulator.url}/api/webhooks`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ url: spec.url, events: spec.events, name: spec.name }),
  });
  const created = (await res.body.json()) as { id: string; secret: string };
  expect(res.statusCode).toBe(201);
  const confirmed = await request(`${w.emulator.url}/api/webhooks/${created.id}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ description: ownedDescription(null, { stack: STACK, key, instance: INSTANCE }, created.id) }),
  });
  expect(confirmed.statusCode).toBe(200);
  await confirmed.body.dump();
  await writeSealedFile(sealedPath(w, key), await sealSecret(created.secret, [recipient]));
  return created;
}

/** The live webhooks by owner key; fails on any webhook this stack does not own or owns twice. */
async function liveByKey(w: World): Promise<Map<string, { id: string; url: string; description: string | null }>> {
  const byKey = new Map<string, { id: string; url: string; description: string | null }>();
  for (const webhook of await listWebhooks(w.emulator.url, KEY)) {
    const { marker, description } = readDescription(webhook.description);
    const owner = marker?.owner.tool === "cdktf" && marker.id === webhook.id ? marker.owner : undefined;
    expect(owner?.stack, `webhook ${webhook.id} carries no confirmed marker of this stack`).toBe(STACK);
    expect(byKey.has(owner!.key), `two webhooks for key ${owner!.key}: a duplicate`).toBe(false);
    byKey.set(owner!.key, { id: webhook.id, url: webhook.url, description });
  }
  return byKey;
}

/** Each sealed file opens with the real `age` to the secret that signs the event Tuco delivers to its webhook. */
async function expectSealedSecretsSign(w: World, keys: readonly string[]): Promise<void> {
  const deliveries = await w.control.fireEvent(KEY, "message.sent");
  expect(deliveries).toHaveLength(keys.length);
  for (const key of keys) {
    const secret = ageDecrypt(sealedPath(w, key), identity);
    // The event, not a health-check ping that a retried check may still deliver late (pings carry data.test).
    const event = w.receiver.received.filter((r) => r.path === `/hooks/tuco/${key}` && JSON.parse(r.rawBody).data?.test !== true).at(-1);
    expect(event && JSON.parse(event.rawBody).messageId, `${key}: no event delivered`).toBeTruthy();
    expect(checkTucoSignature(event!.rawBody, event!.headers["x-tuco-signature"], secret), key).toEqual({ ok: true });
  }
}

/** The last stderr line: the one a failed provisioner shows as its error. */
const lastLine = (run: ProcessRun) => run.stderr.trim().split("\n").at(-1) ?? "";

describe.concurrent("each API fault through the CLI the provisioners run: apply (create), apply (update), delete", () => {
  for (const row of API_FAULTS) {
    const summary = (["create", "update", "delete"] as Op[]).map((op) => `${op} ${outcomeOf(row, op)}`).join(", ");
    it(`${row.name}: ${summary}; afterwards the API holds exactly the stack's webhooks and every sealed secret signs`, async () => {
      const w = await world(row.name);
      try {
        const updated = await madeEarlier(w, "updated");
        const deleted = await madeEarlier(w, "deleted");
        const aimed: Record<"create" | "update" | "delete", { method: string; path: string }> = {
          create: requestOf("create"),
          update: requestOf("update", updated.id),
          delete: requestOf("delete", deleted.id),
        };
        if (row.fault !== "refused") for (const op of Object.values(aimed)) await w.control.addFault({ ...row.fault, ...op, times: 1 });
        const apiUrl = row.fault === "refused" ? await deadUrl() : w.emulator.url;

        const commands: Record<"create" | "update" | "delete", (url: string) => Promise<ProcessRun>> = {
          create: (url) => apply(url, specOf(w, "created")),
          update: (url) => apply(url, specOf(w, "updated", { description: "changed" })),
          delete: (url) => destroy(url, "deleted"),
        };
        const ops = Object.keys(commands) as ("create" | "update" | "delete")[];
        const runs = await Promise.all(ops.map((op) => commands[op](apiUrl)));
        await w.control.clearFaults();
        const log = await w.control.requests();

        const failed: typeof ops = [];
        runs.forEach((run, i) => {
          const op = ops[i];
          if (outcomeOf(row, op) === "retried") {
            expect(run.code, `${op}: ${run.stderr}`).toBe(0);
            if (row.fault !== "refused") expect(retriedAfterFault(log, aimed[op]), `${op}: the faulted request was not retried`).toBe(true);
          } else {
            expect(run.code, `${op}: ${run.stderr}`).toBe(1);
            expect(lastLine(run), op).toMatch(new RegExp(`^tuco-webhooks ${op === "delete" ? "delete" : "apply"}: error: `));
            expect(lastLine(run), op).toMatch(messageAt(row, "cli"));
            failed.push(op);
          }
        });
        if (row.createNotice) {
          expect(runs[0].stderr).toMatch(row.createNotice);
          // The tool replaced the twin itself: it must not also tell the user to delete it by hand.
          expect(runs[0].stderr).not.toMatch(/Delete it \(tuco-webhooks delete/);
        }
        // No orphan and no duplicate even right after a failure: every webhook is one of the stack's keys.
        const afterFaults = await liveByKey(w);
        expect([...afterFaults.keys()].every((k) => ["created", "updated", "deleted"].includes(k))).toBe(true);
        if (failed.includes("create")) expect(existsSync(sealedPath(w, "created")), "a failed create leaves no sealed file").toBe(afterFaults.has("created"));

        // Terraform re-runs a failed provisioner on the next apply: with the fault gone it succeeds.
        for (const op of failed) {
          const again = await commands[op](w.emulator.url);
          expect(again.code, `${op} again: ${again.stderr}`).toBe(0);
        }

        const live = await liveByKey(w);
        expect([...live.keys()].sort()).toEqual(["created", "updated"]);
        expect(live.get("updated")).toMatchObject({ id: updated.id, description: "changed" });
        await expectSealedSecretsSign(w, ["created", "updated"]);
        expect(ageDecrypt(sealedPath(w, "updated"), identity)).toBe(updated.secret);
      } finally {
        await w.close();
      }
    });
  }

  const endpointCases = [
    { name: "a slow health-check ping (longer than Tuco waits)", breakIt: (r: TestReceiver) => (r.delayMs = 3 * DELIVERY_TIMEOUT_MS), cause: /: The operation was aborted due to timeout\./ },
    { name: "a receiver that answers 500", breakIt: (r: TestReceiver) => (r.status = 500), cause: /\(HTTP 500\): HTTP 500: Internal Server Error/ },
  ];
  for (const { name, breakIt, cause } of endpointCases) {
    it(`${name}: a create is rolled back (no webhook, no sealed file) and an update stays applied, both failing with the cause; fixed, applying again succeeds`, async () => {
      const w = await world(name);
      const bad = await startReceiver(200);
      try {
        const moved = await madeEarlier(w, "moved");
        breakIt(bad);
        const onBad = (key: string) => ({ url: `${bad.url}/${key}` });
        const [created, movedRun] = await Promise.all([apply(w.emulator.url, specOf(w, "created", onBad("created"))), apply(w.emulator.url, specOf(w, "moved", onBad("moved")))]);
        for (const run of [created, movedRun]) {
          expect(run.code, run.stderr).toBe(1);
          expect(lastLine(run)).toMatch(new RegExp(`^tuco-webhooks apply: error: Health-check of webhook \\w+ failed: ${bad.url}/\\w+ did not answer the signed test ping with 2xx`));
          expect(lastLine(run)).toMatch(cause);
          expect(lastLine(run)).toMatch(/Fix the endpoint and apply again, or set the health-check policy to "warn" or "skip"\./);
        }
        expect(lastLine(created)).toMatch(/Rolled back: webhook \w+ was deleted and .*created\.age removed\. Re-applying is safe\./);
        expect(lastLine(movedRun)).toMatch(/The update of url stays applied; re-applying is safe and checks it again\./);
        const afterFaults = await liveByKey(w);
        expect([...afterFaults.keys()]).toEqual(["moved"]);
        expect(afterFaults.get("moved")).toMatchObject({ id: moved.id, url: `${bad.url}/moved` });
        expect(existsSync(sealedPath(w, "created"))).toBe(false);

        bad.status = 200;
        bad.delayMs = 0;
        for (const key of ["created", "moved"]) {
          const again = await apply(w.emulator.url, specOf(w, key, onBad(key)));
          expect(again.code, again.stderr).toBe(0);
        }
        const live = await liveByKey(w);
        expect([...live.keys()].sort()).toEqual(["created", "moved"]);
        expect(live.get("moved")!.id).toBe(moved.id);
        const deliveries = await w.control.fireEvent(KEY, "message.sent");
        expect(deliveries.every((d) => d.success)).toBe(true);
        for (const key of ["created", "moved"]) {
          const secret = ageDecrypt(sealedPath(w, key), identity);
          const event = bad.received.filter((r) => r.path === `/hooks/tuco/${key}`).at(-1)!;
          expect(checkTucoSignature(event.rawBody, event.headers["x-tuco-signature"], secret), key).toEqual({ ok: true });
        }
        expect(ageDecrypt(sealedPath(w, "moved"), identity)).toBe(moved.secret);
      } finally {
        await bad.close();
        await w.close();
      }
    });
  }

  it("fails a create whose health-check request fails after the webhook was made, keeping it and its sealed secret; applying again finds it", async () => {
    const w = await world("after-made");
    try {
      await w.control.addFault({ kind: "status", status: 500, method: "POST", path: "/api/webhooks/*", times: 5 });
      const run = await apply(w.emulator.url, specOf(w, "created"));
      await w.control.clearFaults();
      expect(run.code).toBe(1);
      expect(lastLine(run)).toMatch(
        /^tuco-webhooks apply: error: webhook \w+ was created and its secret sealed to .*created\.age, but its health-check could not run: POST \/api\/webhooks\/\w+\/health-check failed on Tuco's side \(500: Internal Server Error\)\. Try again later\. Re-applying is safe: it keeps this webhook and its sealed secret\.$/,
      );
      const again = await apply(w.emulator.url, specOf(w, "created"));
      expect(again.code, again.stderr).toBe(0);
      expect([...(await liveByKey(w)).keys()]).toEqual(["created"]);
      await expectSealedSecretsSign(w, ["created"]);
    } finally {
      await w.close();
    }
  });

  it("rejects a TUCO_TIMEOUT_MS that is not milliseconds with one line naming it, the value and the fix, before any request", async () => {
    const w = await world("bad-timeout");
    try {
      const run = await runCli(["apply"], { TUCO_API_URL: w.emulator.url, TUCO_API_KEY: KEY, TUCO_TIMEOUT_MS: "30s", TUCO_WEBHOOK_SPEC: JSON.stringify(specOf(w, "created")), TUCO_STACK_INSTANCE: INSTANCE });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'tuco-webhooks apply: error: TUCO_TIMEOUT_MS "30s" is not a whole number of milliseconds: set it to a value from 100 to 600000, e.g. 30000 (the default), or leave it unset.\n',
      );
      expect(await w.control.requests()).toEqual([]);
    } finally {
      await w.close();
    }
  });
});
