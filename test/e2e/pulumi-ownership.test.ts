/**
 * Ownership through the real Pulumi dynamic-provider host: a create identifies its own webhook by
 * a per-create value (never by its fields), a host killed mid-create leaves no active secretless
 * twin after the next `up` (or the next `up` names the one to delete), and Pulumi never takes over
 * what a CDKTF stack owns.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TucoClient } from "../../src/api/client";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { WEBHOOK_TYPE, webhookProvider } from "../../src/pulumi";
import { checkTucoSignature } from "../../src/receiver/signature";
import { readDescription, withMarker } from "../../src/webhook/ownership";
import { assertDistIsFresh, envWithoutTuco } from "../helpers/pulumi-fixtures";
import { outputsOf, ProviderCallError, serializeProvider, startPulumiHost, urnOf, type Props, type PulumiHost } from "../helpers/pulumi-host";
import { pauseAt } from "../helpers/process";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

const KEY = "tuco_sk_pulumi_ownership";
let emulator: RunningEmulator;
let control: EmulatorControl;
let api: TucoClient;
let receiver: TestReceiver;
let providerText: string;

async function host(extraEnv: NodeJS.ProcessEnv = {}): Promise<PulumiHost> {
  const h = await startPulumiHost({ providerText, env: { ...envWithoutTuco(), ...extraEnv } });
  await h.configure({ "tuco:apiKey": KEY, "tuco:apiUrl": emulator.url });
  return h;
}

beforeAll(async () => {
  assertDistIsFresh();
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 2000 });
  control = new EmulatorControl(emulator.url);
  api = new TucoClient({ apiKey: KEY, apiUrl: emulator.url });
  receiver = await startReceiver(200);
  providerText = await serializeProvider(webhookProvider);
});
afterAll(async () => {
  await api?.close();
  await receiver?.close();
  await emulator?.close();
});
beforeEach(async () => {
  await control.reset();
  receiver.status = 200;
});

/** A resource's inputs as the Webhook resource makes them: its owner from the project, stack and URN. */
const inputsOf = (name: string, extra: Props = {}): Props => ({
  url: `${receiver.url}/same`,
  events: ["message.sent"],
  name: "same-name",
  owner: { pulumi: "shop/dev", resource: name.padEnd(16, "0").replace(/[^0-9a-f]/g, "a").slice(0, 16) },
  ...extra,
});

async function checkAndCreate(h: PulumiHost, name: string, news: Props): Promise<{ id: string; properties: Props }> {
  const { inputs, failures } = await h.check(urnOf(WEBHOOK_TYPE, name), {}, news);
  expect(failures).toEqual([]);
  return h.create(urnOf(WEBHOOK_TYPE, name), inputs);
}

/** The secret in a resource's outputs signs the event Tuco delivers to its webhook. */
async function expectSecretsSign(resources: { id: string; properties: Props }[]): Promise<void> {
  const deliveries = await control.fireEvent(KEY, "message.sent");
  expect(deliveries.map((d) => d.webhookId).sort()).toEqual(resources.map((r) => r.id).sort());
  const events = receiver.received.filter((r) => JSON.parse(r.rawBody).data?.test !== true);
  for (const r of resources) {
    const secret = String(outputsOf(r.properties).secret);
    expect(events.some((e) => checkTucoSignature(e.rawBody, e.headers["x-tuco-signature"], secret).ok), `the secret of ${r.id} signs no delivered event`).toBe(true);
  }
}

describe("a Pulumi create identifies its own webhook exactly", () => {
  it("two resources with the same url, name and events created at once, one answer lost: each ends with its own live webhook and secret", async () => {
    const h = await host();
    try {
      await control.addFault({ kind: "commit-then-drop", method: "POST", path: "/api/webhooks", times: 1 });
      const [a, b] = await Promise.all([checkAndCreate(h, "first", inputsOf("first")), checkAndCreate(h, "second", inputsOf("second"))]);
      expect(a.id).not.toBe(b.id);
      const live = await api.list();
      expect(live.map((w) => w.id).sort()).toEqual([a.id, b.id].sort());
      for (const r of [a, b]) expect(readDescription(live.find((w) => w.id === r.id)!.description).marker).toMatchObject({ owner: { tool: "pulumi" }, id: r.id });
      expect(h.stderr()).toMatch(/reached Tuco but its answer was lost.*Deleting \w+, whose secret is lost, and creating the webhook again/);
      await expectSecretsSign([a, b]);
    } finally {
      await h.close();
    }
  });
});

describe("a create Tuco completes after the provider gave up waiting for it", () => {
  it("the webhook of the attempt that got no answer, made once the retry had made another, is deleted: only the resource's own is left", async () => {
    const h = await startPulumiHost({ providerText, env: envWithoutTuco() });
    try {
      await h.configure({ "tuco:apiKey": KEY, "tuco:apiUrl": emulator.url, "tuco:timeoutMs": "2000" });
      // Tuco answers the first POST 3 s late, after the 2 s timeout, the provider's list (empty) and its retry.
      await control.addFault({ kind: "latency", latencyMs: 3000, method: "POST", path: "/api/webhooks", times: 1 });
      const created = await checkAndCreate(h, "slow", inputsOf("slow"));
      expect(await h.waitForStderr(new RegExp(`an earlier attempt that got no answer made webhook \\w+ after all; nobody holds its secret: deleted it, kept ${created.id}`))).toBeTruthy();
      expect((await api.list()).map((w) => w.id)).toEqual([created.id]);
      await expectSecretsSign([created]);
    } finally {
      await h.close();
    }
  });
});

describe("a provider host killed mid-create", () => {
  /** Starts a host that pauses at `step` of a create of "crm", kills it there (SIGKILL), and checks that the create failed. */
  async function killMidCreate(step: string): Promise<void> {
    const doomed = await host(pauseAt(step));
    try {
      const creating = checkAndCreate(doomed, "crm", inputsOf("crm"));
      await doomed.waitForStderr(/tuco-test-pause: /);
      process.kill(doomed.pid, "SIGKILL");
      await expect(creating).rejects.toThrow(ProviderCallError);
    } finally {
      await doomed.close();
    }
  }

  for (const step of ["before POST /api/webhooks/", "after POST /api/webhooks"]) {
    it(`killed ${step === "after POST /api/webhooks" ? "right after Tuco created the webhook" : "during the health-check"}: the next up deletes the webhook whose secret nobody holds and creates it again`, async () => {
      await killMidCreate(step);
      const [left] = await api.list();
      expect(readDescription(left.description).marker?.pending).toBeTruthy();

      const next = await host();
      try {
        const created = await checkAndCreate(next, "crm", inputsOf("crm"));
        expect(next.stderr()).toContain(`An earlier create of this Webhook resource was stopped before it finished: webhook ${left.id} was created but its secret was never kept. Deleted it.`);
        expect((await api.list()).map((w) => w.id)).toEqual([created.id]);
        await expectSecretsSign([created]);
      } finally {
        await next.close();
      }
    });
  }

  it("killed after the webhook was confirmed but before Pulumi stored it: the next up names the webhook to delete", async () => {
    await killMidCreate("before GET /api/webhooks/");
    const [orphan] = await api.list();
    expect(readDescription(orphan.description).marker?.id).toBe(orphan.id);
    const next = await host();
    try {
      const created = await checkAndCreate(next, "crm", inputsOf("crm"));
      expect(next.stderr()).toMatch(new RegExp(`Webhook ${orphan.id} .* also carries this resource's marker.*delete it with \`tuco-webhooks delete --id ${orphan.id} --force\``));
      expect((await api.list()).map((w) => w.id).sort()).toEqual([orphan.id, created.id].sort());
    } finally {
      await next.close();
    }
  });
});

describe("an edit of the description in the Tuco app", () => {
  it("a note added after the marker: refresh shows it as the user's part, the marker still the resource's own; up puts the declared description back on the same webhook", async () => {
    const h = await host();
    try {
      const news = (await h.check(urnOf(WEBHOOK_TYPE, "noted"), {}, inputsOf("noted", { description: "CRM sync" }))).inputs;
      const created = await h.create(urnOf(WEBHOOK_TYPE, "noted"), news);
      const live = await api.get(created.id);
      await api.update(created.id, { description: `${live.description}\n\nsee the runbook, by hand` });

      const refreshed = await h.read(created.id, urnOf(WEBHOOK_TYPE, "noted"), created.properties, news);
      expect(outputsOf(refreshed.properties)).toMatchObject({ description: "CRM sync\n\nsee the runbook, by hand", ownerMarker: outputsOf(created.properties).ownerMarker });
      expect(await h.diff(created.id, urnOf(WEBHOOK_TYPE, "noted"), refreshed.properties, news)).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });

      const updated = await h.update(created.id, urnOf(WEBHOOK_TYPE, "noted"), refreshed.properties, news);
      expect(updated.properties).toMatchObject({ webhookId: created.id, description: "CRM sync" });
      expect((await api.get(created.id)).description).toBe(live.description);
      expect((await api.list()).map((w) => w.id)).toEqual([created.id]);
      await expectSecretsSign([{ id: created.id, properties: updated.properties }]);
    } finally {
      await h.close();
    }
  });

  it("whitespace around the marker (a trailing newline, spaces): refresh finds nothing changed", async () => {
    const h = await host();
    try {
      const news = (await h.check(urnOf(WEBHOOK_TYPE, "spaced"), {}, inputsOf("spaced", { description: "CRM sync" }))).inputs;
      const created = await h.create(urnOf(WEBHOOK_TYPE, "spaced"), news);
      const live = await api.get(created.id);
      await api.update(created.id, { description: `  ${live.description!.replace("\n\n", " \n\n  ")}\n ` });
      expect((await api.get(created.id)).description).not.toBe(live.description);

      const refreshed = await h.read(created.id, urnOf(WEBHOOK_TYPE, "spaced"), created.properties, news);
      expect(outputsOf(refreshed.properties)).toMatchObject({ description: "CRM sync", ownerMarker: outputsOf(created.properties).ownerMarker });
      expect((await h.diff(created.id, urnOf(WEBHOOK_TYPE, "spaced"), refreshed.properties, news)).changes).toBe("none");
    } finally {
      await h.close();
    }
  });
});

describe("Pulumi and CDKTF never take each other's webhooks", () => {
  it("check refuses a description carrying an ownership marker, whatever its kind", async () => {
    const h = await host();
    try {
      for (const description of ["copied\n\n[tuco-webhooks stack=prod key=crm instance=i-1 id=0123]", "[tuco-webhooks stack=prod key=crm]", "text [tuco-webhooks pulumi=a/b resource=0123456789abcdef id=x]"]) {
        const { failures } = await h.check(urnOf(WEBHOOK_TYPE, "x"), {}, inputsOf("x", { description }));
        expect(failures.map((f) => f.property), description).toEqual(["description"]);
        expect(failures[0].reason).toMatch(/contains a tuco-webhooks ownership marker/);
      }
      expect(await control.requests()).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it("adopting a webhook a CDKTF stack owns fails naming the stack; the webhook is untouched", async () => {
    const h = await host();
    try {
      const { id } = await api.create({ url: `${receiver.url}/cdktf`, events: ["message.sent"], name: "cdktf" });
      const description = withMarker("theirs", { owner: { tool: "cdktf", stack: "prod", key: "crm", instance: "their-state" }, id });
      await api.update(id, { description });
      await expect(checkAndCreate(h, "adopter", inputsOf("adopter", { adoptId: id }))).rejects.toThrow(/not adopting webhook .* it is managed by stack prod key crm of stack instance their-state \(CDKTF\)/);
      expect((await api.get(id)).description).toBe(description);
    } finally {
      await h.close();
    }
  });

  it.each([
    ["a CDKTF stack", { tool: "cdktf" as const, stack: "prod", key: "crm", instance: "i-9" }, /stack prod key crm of stack instance i-9/],
    ["another Pulumi resource", { tool: "pulumi" as const, pulumi: "other/prod", resource: "0123456789abcdef" }, /other\/prod/],
  ])("a destroy leaves a webhook %s took over to it, saying so; one still its own is deleted", async (_who, theirs, named) => {
    const h = await host();
    try {
      const taken = await checkAndCreate(h, "taken", inputsOf("taken"));
      const kept = await checkAndCreate(h, "kept", inputsOf("kept", { url: `${receiver.url}/kept` }));
      const description = withMarker("theirs now", { owner: theirs, id: taken.id });
      await api.update(taken.id, { description });
      await h.delete(taken.id, urnOf(WEBHOOK_TYPE, "taken"), taken.properties);
      expect(await h.waitForStderr(new RegExp(`Not deleting webhook ${taken.id} \\([^)]*\\): it is now managed by [^\n]*`))).toMatch(named);
      expect((await api.get(taken.id)).description).toBe(description);
      await h.delete(kept.id, urnOf(WEBHOOK_TYPE, "kept"), kept.properties);
      expect(await api.tryGet(kept.id)).toBeUndefined();
    } finally {
      await h.close();
    }
  });

  it("two resources adopting one webhook at once (as one `up` runs them): exactly one gets it, the other fails naming it", async () => {
    const h = await host();
    try {
      const { id } = await api.create({ url: `${receiver.url}/same`, events: ["message.sent"], name: "same-name" });
      const results = await Promise.allSettled(["adopter-a", "adopter-b"].map((n) => checkAndCreate(h, n, inputsOf(n, { adoptId: id }))));
      const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(String(lost.reason)).toMatch(new RegExp(`adoptId "${id}": (webhook ${id} was taken over by .* while this resource adopted it|not adopting webhook ${id})`));
      const winner = inputsOf(["adopter-a", "adopter-b"][won[0]]).owner as { resource: string };
      expect(readDescription((await api.get(id)).description).marker).toMatchObject({ owner: { tool: "pulumi", resource: winner.resource }, id });
    } finally {
      await h.close();
    }
  });

  it("an update of a webhook another tool took over is refused, not fought over", async () => {
    const h = await host();
    try {
      const created = await checkAndCreate(h, "taken", inputsOf("taken"));
      const stolen = withMarker(null, { owner: { tool: "cdktf", stack: "prod", key: "crm", instance: "i-9" }, id: created.id });
      await api.update(created.id, { description: stolen });
      const news = (await h.check(urnOf(WEBHOOK_TYPE, "taken"), {}, inputsOf("taken", { isActive: false }))).inputs;
      await expect(h.update(created.id, urnOf(WEBHOOK_TYPE, "taken"), created.properties, news)).rejects.toThrow(/is now managed by stack prod key crm of stack instance i-9, not by this resource/);
      expect((await api.get(created.id)).description).toBe(stolen);
    } finally {
      await h.close();
    }
  });
});
