/**
 * The fault matrix of issue 6 through the Pulumi provider in the REAL dynamic-provider host, as the
 * engine drives it: each fault hits the request behind a create (`pulumi up`, new resource), an
 * update (`pulumi up`, changed description), a read (`pulumi refresh`) and a delete (`pulumi
 * destroy`), all four at once in one host as a stack's operations run. The test keeps the stack's
 * state as the engine would (a partial create/update is stored, a failed operation leaves the old
 * state); after a failure the operation is run again once the fault is gone. Then the API must hold
 * exactly the webhooks the state holds, and each `secret` output must sign its webhook's deliveries.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { WEBHOOK_TYPE, webhookProvider } from "../../src/pulumi";
import { checkTucoSignature } from "../../src/receiver/signature";
import { readDescription } from "../../src/webhook/ownership";
import { listWebhooks } from "../cli/helpers";
import { assertDistIsFresh, envWithoutTuco } from "../helpers/pulumi-fixtures";
import { outputsOf, ProviderCallError, serializeProvider, startPulumiHost, urnOf, type Props, type PulumiHost } from "../helpers/pulumi-host";
import { startReceiver, type TestReceiver } from "../helpers/receiver";
import { API_FAULTS, DELIVERY_TIMEOUT_MS, TIMEOUT_MS, deadUrl, messageAt, outcomeOf, requestOf, retriedAfterFault, type Op } from "./fault-matrix";

const KEY = "tuco_sk_faults_pulumi_e2e";

let emulator: RunningEmulator;
let control: EmulatorControl;
let ok: TestReceiver;
let bad: TestReceiver;
let providerText: string;
let host: PulumiHost;
let deadHost: PulumiHost;

/** The host's environment: no Tuco settings, so only the Pulumi config supplies them. */
async function startHost(config: Record<string, string>): Promise<PulumiHost> {
  const started = await startPulumiHost({ providerText, env: envWithoutTuco() });
  await started.configure(config);
  return started;
}

beforeAll(async () => {
  assertDistIsFresh();
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: DELIVERY_TIMEOUT_MS });
  control = new EmulatorControl(emulator.url);
  [ok, bad] = await Promise.all([startReceiver(200), startReceiver(200)]);
  providerText = await serializeProvider(webhookProvider);
  const nowhere = await deadUrl();
  [host, deadHost] = await Promise.all([
    startHost({ "tuco:apiKey": KEY, "tuco:apiUrl": emulator.url, "tuco:timeoutMs": TIMEOUT_MS }),
    startHost({ "tuco:apiKey": KEY, "tuco:apiUrl": nowhere, "tuco:timeoutMs": TIMEOUT_MS }),
  ]);
});

afterAll(async () => {
  await host?.close();
  await deadHost?.close();
  await ok?.close();
  await bad?.close();
  await emulator?.close();
});

beforeEach(async () => {
  await control.reset();
  bad.status = 200;
  bad.delayMs = 0;
});

const urn = (name: string) => urnOf(WEBHOOK_TYPE, name);

/** One resource of the stack's state, as the engine stores it. */
interface StateEntry {
  readonly id: string;
  readonly properties: Props;
}

/** check then create, as `pulumi up` does for a new resource; fails the test on check failures. */
async function upNew(engine: PulumiHost, name: string, news: Props): Promise<StateEntry> {
  const { inputs, failures } = await engine.check(urn(name), {}, news);
  expect(failures).toEqual([]);
  return engine.create(urn(name), inputs);
}

/** What a failed call was: the error and, for a partial create/update, what the engine stores. */
function failureOf(result: PromiseSettledResult<unknown>, what: string): ProviderCallError {
  expect(result.status, `${what} should have failed`).toBe("rejected");
  const err = (result as PromiseRejectedResult).reason;
  expect(err).toBeInstanceOf(ProviderCallError);
  return err as ProviderCallError;
}

function valueOf<T>(result: PromiseSettledResult<T>, what: string): T {
  if (result.status === "rejected") throw new Error(`${what} should have succeeded: ${String(result.reason)}`);
  return result.value;
}

/** No orphan: every webhook in the API is in the state. */
async function expectNoOrphan(state: Map<string, StateEntry>): Promise<void> {
  const stateIds = new Set([...state.values()].map((e) => e.id));
  for (const w of await listWebhooks(emulator.url, KEY)) expect(stateIds.has(w.id), `webhook ${w.id} (${w.name}) is in no state: an orphan`).toBe(true);
}

/**
 * The API holds exactly the state's webhooks, as the state describes them, and each one's
 * `secret` output verifies the signature of an event Tuco delivers to it.
 */
async function expectApiMatchesState(state: Map<string, StateEntry>, receiver: TestReceiver): Promise<void> {
  const live = await listWebhooks(emulator.url, KEY);
  expect(live.map((w) => w.id).sort()).toEqual([...state.values()].map((e) => e.id).sort());
  for (const [name, entry] of state) {
    const w = live.find((l) => l.id === entry.id)!;
    const outs = outputsOf(entry.properties);
    const { description, marker } = readDescription(w.description);
    expect({ name: w.name, url: w.url, description }, name).toEqual({ name: outs.name, url: outs.url, description: outs.description });
    // The webhook is this resource's: its confirmed marker names its own id.
    expect(marker, `${name}: marker`).toMatchObject({ owner: { tool: "pulumi" }, id: entry.id });
  }
  const deliveries = await control.fireEvent(KEY, "message.sent");
  expect(deliveries.map((d) => d.webhookId).sort()).toEqual([...state.values()].map((e) => e.id).sort());
  for (const [name, entry] of state) {
    const url = String(outputsOf(entry.properties).url);
    // The event, not a health-check ping that a retried check may still deliver late (pings carry data.test).
    const event = receiver.received.filter((r) => `${receiver.url.replace(/\/hooks\/tuco$/, "")}${r.path}` === url && JSON.parse(r.rawBody).data?.test !== true).at(-1);
    expect(event && JSON.parse(event.rawBody).messageId, `${name}: no event delivered to ${url}`).toBeTruthy();
    expect(checkTucoSignature(event!.rawBody, event!.headers["x-tuco-signature"], String(outputsOf(entry.properties).secret)), name).toEqual({ ok: true });
  }
}

const args = (receiver: TestReceiver, name: string, extra: Props = {}): Props => ({ url: `${receiver.url}/${name}`, events: ["message.sent"], name, ...extra });

describe("each API fault through the Pulumi provider: create, update, refresh and destroy at once", () => {
  for (const row of API_FAULTS) {
    const summary = (["create", "update", "read", "delete"] as Op[]).map((op) => `${op} ${outcomeOf(row, op)}`).join(", ");
    it(`${row.name}: ${summary}; afterwards the API holds exactly the stack's webhooks and every secret signs`, async () => {
      // What an earlier `pulumi up` made: the webhooks the update, the refresh and the destroy act on.
      const state = new Map<string, StateEntry>();
      for (const name of ["updated", "refreshed", "destroyed"]) state.set(name, await upNew(host, name, args(ok, name)));
      const old = (name: string) => state.get(name)!;
      const createInputs = (await host.check(urn("created"), {}, args(ok, "created"))).inputs;
      const updateInputs = (await host.check(urn("updated"), old("updated").properties, args(ok, "updated", { description: "changed" }))).inputs;

      const aimed: Record<Op, { method: string; path: string }> = {
        create: requestOf("create"),
        update: requestOf("update", old("updated").id),
        read: requestOf("read", old("refreshed").id),
        delete: requestOf("delete", old("destroyed").id),
      };
      const setupRequests = (await control.requests()).length;
      if (row.fault !== "refused") for (const op of Object.keys(aimed) as Op[]) await control.addFault({ ...row.fault, ...aimed[op], times: 1 });
      const engine = row.fault === "refused" ? deadHost : host;

      const [created, updated, refreshed, destroyed] = await Promise.allSettled([
        engine.create(urn("created"), createInputs),
        engine.update(old("updated").id, urn("updated"), old("updated").properties, updateInputs),
        engine.read(old("refreshed").id, urn("refreshed"), old("refreshed").properties),
        engine.delete(old("destroyed").id, urn("destroyed"), old("destroyed").properties),
      ]);
      await control.clearFaults();
      const log = await control.requests();
      if (row.fault === "refused") expect(log, "nothing may reach Tuco through a refused connection").toHaveLength(setupRequests);

      // The user-visible outcome of each operation, and the state the engine keeps from it.
      const failed = new Set<Op>();
      const results: Record<Op, PromiseSettledResult<unknown>> = { create: created, update: updated, read: refreshed, delete: destroyed };
      for (const op of Object.keys(results) as Op[]) {
        if (outcomeOf(row, op) === "retried") {
          valueOf(results[op], op);
          if (row.fault !== "refused") expect(retriedAfterFault(log, aimed[op]), `${op}: the faulted request was not retried`).toBe(true);
        } else {
          const err = failureOf(results[op], op);
          expect(err.details, op).toMatch(messageAt(row, "pulumi"));
          expect(err.partial, `${op}: nothing was made, so nothing is partial`).toBeUndefined();
          failed.add(op);
        }
      }
      if (row.createNotice) expect(await host.waitForStderr(row.createNotice)).toBeTruthy();
      if (created.status === "fulfilled") state.set("created", created.value);
      if (updated.status === "fulfilled") state.set("updated", { id: old("updated").id, properties: updated.value.properties });
      if (refreshed.status === "fulfilled") {
        expect(refreshed.value.id).toBe(old("refreshed").id);
        state.set("refreshed", refreshed.value);
      }
      if (destroyed.status === "fulfilled") state.delete("destroyed");
      await expectNoOrphan(state);

      // The fault is gone: running a failed operation again succeeds.
      if (failed.has("create")) state.set("created", await host.create(urn("created"), createInputs));
      if (failed.has("update")) state.set("updated", { id: old("updated").id, properties: (await host.update(old("updated").id, urn("updated"), old("updated").properties, updateInputs)).properties });
      if (failed.has("read")) state.set("refreshed", await host.read(old("refreshed").id, urn("refreshed"), old("refreshed").properties));
      if (failed.has("delete")) {
        await host.delete(old("destroyed").id, urn("destroyed"), old("destroyed").properties);
        state.delete("destroyed");
      }

      expect([...state.keys()].sort()).toEqual(["created", "refreshed", "updated"]);
      expect(outputsOf(state.get("updated")!.properties).description).toBe("changed");
      expect(outputsOf(state.get("updated")!.properties).secret).toBe(outputsOf(old("updated").properties).secret);
      await expectApiMatchesState(state, ok);
    });
  }
});

describe("a webhook endpoint that fails the health-check, through the Pulumi provider", () => {
  const cases = [
    { name: "a slow health-check ping (longer than Tuco waits)", breakIt: () => (bad.delayMs = 3 * DELIVERY_TIMEOUT_MS), cause: /: The operation was aborted due to timeout\./ },
    { name: "a receiver that answers 500", breakIt: () => (bad.status = 500), cause: /\(HTTP 500\): HTTP 500: Internal Server Error/ },
  ];
  for (const { name, breakIt, cause } of cases) {
    it(`${name}: create and update fail as partial applies that keep the webhook and its secret; once the endpoint is fixed the next up succeeds`, async () => {
      const state = new Map<string, StateEntry>();
      state.set("moved", await upNew(host, "moved", args(ok, "moved")));
      const before = state.get("moved")!;
      breakIt();
      const createInputs = (await host.check(urn("created"), {}, args(bad, "created"))).inputs;
      const moveInputs = (await host.check(urn("moved"), before.properties, args(bad, "moved"))).inputs;
      const [created, moved] = await Promise.allSettled([host.create(urn("created"), createInputs), host.update(before.id, urn("moved"), before.properties, moveInputs)]);

      for (const [op, result] of [["create", created], ["update", moved]] as const) {
        const err = failureOf(result, op);
        expect(err.details).toMatch(new RegExp(`Health-check of webhook \\w+ failed: ${bad.url}/\\w+ did not answer the signed test ping with 2xx`));
        expect(err.details).toMatch(cause);
        expect(err.details).toMatch(/Fix the endpoint and apply again, or set the health-check policy to "warn" or "skip"\..*kept in the stack's state \(with its secret\)/);
        expect(err.partial, op).toBeDefined();
        expect(err.partial!.properties.lastHealthCheck).toMatchObject({ success: false, skipped: false });
      }
      const partialCreate = (created as PromiseRejectedResult).reason.partial as StateEntry;
      const partialMove = (moved as PromiseRejectedResult).reason.partial as StateEntry;
      expect(partialMove.properties.secret).toBe(before.properties.secret);
      state.set("created", partialCreate);
      state.set("moved", partialMove);
      await expectNoOrphan(state);

      // The endpoint is fixed: the next `pulumi up` updates both (the engine re-runs resources with init errors).
      bad.status = 200;
      bad.delayMs = 0;
      for (const [key, inputs] of [["created", createInputs], ["moved", moveInputs]] as const) {
        const entry = state.get(key)!;
        const again = await host.update(entry.id, urn(key), entry.properties, inputs);
        expect(again.properties.lastHealthCheck, key).toMatchObject({ success: true, statusCode: 200 });
        expect(again.properties.secret, key).toBe(entry.properties.secret);
        state.set(key, { id: entry.id, properties: again.properties });
      }
      await expectApiMatchesState(state, bad);
    });
  }
});

describe("a fault after the webhook was made, through the Pulumi provider", () => {
  it("fails a create whose health-check request fails as a partial create: the webhook and its secret stay in state, and the next up finishes it", async () => {
    await control.addFault({ kind: "status", status: 500, method: "POST", path: "/api/webhooks/*", times: 5 });
    const err = await upNew(host, "checked", args(ok, "checked")).then(
      () => undefined,
      (e: unknown) => e as ProviderCallError,
    );
    await control.clearFaults();
    expect(err).toBeInstanceOf(ProviderCallError);
    expect(err!.details).toMatch(
      /Webhook \w+ was created, but checking it failed: POST \/api\/webhooks\/\w+\/health-check failed on Tuco's side \(500: Internal Server Error\)\. Try again later\. The webhook is kept in the stack's state \(with its secret\); the next `pulumi up` checks it again\./,
    );
    const partial = err!.partial!;
    expect(partial).toBeDefined();
    const [live] = await listWebhooks(emulator.url, KEY);
    expect(partial.id).toBe(live.id);
    expect(partial.properties.secret).toEqual(expect.stringMatching(/\S{20,}/));
    expect(partial.properties.__provider).toBe(providerText);

    const { inputs } = await host.check(urn("checked"), {}, args(ok, "checked"));
    const fixed = await host.update(partial.id, urn("checked"), partial.properties, inputs);
    expect(fixed.properties.lastHealthCheck).toMatchObject({ success: true });
    await expectApiMatchesState(new Map([["checked", { id: partial.id, properties: fixed.properties }]]), ok);
  });
});

describe("a fault after the webhook was patched, through the Pulumi provider", () => {
  it("fails an update whose health-check request fails as a partial update: state gets the patched values and keeps the secret", async () => {
    const before = await upNew(host, "patched", args(ok, "patched"));
    const { inputs } = await host.check(urn("patched"), before.properties, args(ok, "patched", { description: "changed" }));
    await control.addFault({ kind: "status", status: 500, method: "POST", path: "/api/webhooks/*", times: 5 });
    const err = await host.update(before.id, urn("patched"), before.properties, inputs).then(
      () => undefined,
      (e: unknown) => e as ProviderCallError,
    );
    await control.clearFaults();
    expect(err).toBeInstanceOf(ProviderCallError);
    expect(err!.details).toMatch(/^Webhook \w+ was updated, but checking it failed: POST \/api\/webhooks\/\w+\/health-check failed on Tuco's side \(500: Internal Server Error\)\./);
    expect(err!.partial?.id).toBe(before.id);
    expect(outputsOf(err!.partial!.properties)).toMatchObject({ description: "changed", secret: before.properties.secret });

    const fixed = await host.update(before.id, urn("patched"), err!.partial!.properties, inputs);
    expect(fixed.properties.lastHealthCheck).toMatchObject({ success: true });
    await expectApiMatchesState(new Map([["patched", { id: before.id, properties: fixed.properties }]]), ok);
  });
});

describe("the tuco:timeoutMs config", () => {
  it("rejects a value that is not milliseconds, naming the config, the value and the fix, before any request", async () => {
    const wrong = await startHost({ "tuco:apiKey": KEY, "tuco:apiUrl": emulator.url, "tuco:timeoutMs": "30s" });
    try {
      const { inputs } = await wrong.check(urn("slow"), {}, args(ok, "slow"));
      await expect(wrong.create(urn("slow"), inputs)).rejects.toThrow(
        'Pulumi config tuco:timeoutMs "30s" is not a whole number of milliseconds: run `pulumi config set tuco:timeoutMs` with a value from 100 to 600000, e.g. 30000 (the default), or leave it unset.',
      );
    } finally {
      await wrong.close();
    }
    expect(await control.requests()).toEqual([]);
  });
});
