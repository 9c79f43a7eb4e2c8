/**
 * The provisioner lifecycle (`applyDeclaration`) and drift (`checkDrift`/`fixDrift`), in process
 * against the emulator: no build, no CLI process. Secrets are checked against the signature Tuco
 * sends, sealed files opened with a real age identity.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { TucoClient } from "../../src/api/client";
import { EmulatorControl, startEmulator, type RunningEmulator } from "../../src/emulator";
import { checkTucoSignature } from "../../src/receiver/signature";
import { openSealedSecret } from "../../src/secrets/open";
import { loadAge } from "../../src/secrets/seal";
import { WebhookApplyError, applyDeclaration } from "../../src/webhook/apply";
import { checkDeclaration, type WebhookDeclaration } from "../../src/webhook/declaration";
import { checkDrift, fixDrift } from "../../src/webhook/drift";
import { hostTag, markedStackKey, withMarker } from "../../src/webhook/ownership";
import { freshInstance, ownedDescription, seedOwned } from "../helpers/markers";
import { startReceiver, type TestReceiver } from "../helpers/receiver";

let emulator: RunningEmulator;
let control: EmulatorControl;
let receiver: TestReceiver;
let client: TucoClient;
let identity: string;
let recipient: string;
const dir = mkdtempSync(join(tmpdir(), "tuco-apply-"));
const KEY = "tuco_sk_apply_in_process";
let instance: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, deliveryTimeoutMs: 1000 });
  control = new EmulatorControl(emulator.url);
  receiver = await startReceiver(200);
  const age = await loadAge();
  identity = await age.generateIdentity();
  recipient = await age.identityToRecipient(identity);
});
afterAll(async () => {
  await client?.close();
  await receiver?.close();
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await control.reset();
  receiver.status = 200;
  await client?.close();
  client = new TucoClient({ apiUrl: emulator.url, apiKey: KEY, retry: { minDelayMs: 5, maxDelayMs: 20 } });
  instance = freshInstance();
});

function declare(key: string, overrides: Record<string, unknown> = {}): WebhookDeclaration {
  const checked = checkDeclaration({
    stack: "shop",
    key,
    name: key,
    url: receiver.url,
    events: ["message.sent"],
    seal: { recipients: [recipient], path: join(dir, "sealed", `${key}.age`) },
    ...overrides,
  });
  if (checked.value === undefined) throw new Error(checked.problems.map((p) => p.message).join("; "));
  return checked.value;
}

const requests = async () => (await control.requests()).map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{24}/, ":id")}`);

/** The sealed secret signs the last ping the receiver got. */
async function expectSealedSecretSigns(path: string): Promise<string> {
  const secret = await openSealedSecret(readFileSync(path), [identity]);
  const ping = receiver.received.at(-1)!;
  expect(checkTucoSignature(ping.rawBody, ping.headers["x-tuco-signature"], secret).ok).toBe(true);
  return secret;
}

describe("applyDeclaration", () => {
  test("creates the webhook with its marker, seals its secret, health-checks it; again: in sync, health-checked, nothing written", async () => {
    const declaration = declare("crm", { description: "CRM sync" });
    const secrets: string[] = [];
    const created = await applyDeclaration(client, declaration, { instance, onSecret: (s) => secrets.push(s) });
    expect(created).toMatchObject({ action: "created", changed: [], sealedSecretPath: declaration.seal.path, lastHealthCheck: { success: true, statusCode: 200 } });
    // Created with a pending marker, listed again for a concurrent create, sealed, confirmed, checked.
    expect(await requests()).toEqual(["GET /api/webhooks", "POST /api/webhooks", "GET /api/webhooks", "PATCH /api/webhooks/:id", "POST /api/webhooks/:id/health-check"]);
    const [live] = await client.list();
    expect(live.description).toBe(ownedDescription("CRM sync", { ...declaration.owner, instance }, created.id));
    expect(secrets).toEqual([await expectSealedSecretSigns(declaration.seal.path)]);

    await control.clearRequests();
    const again = await applyDeclaration(client, declaration, { instance });
    expect(again).toMatchObject({ action: "unchanged", id: created.id, sealedSecretPath: null, lastHealthCheck: { success: true } });
    expect(await requests()).toEqual(["GET /api/webhooks", "POST /api/webhooks/:id/health-check"]);
  });

  test("patches only the changed field of the webhook it owns, keeping the marker on a new description", async () => {
    const first = await applyDeclaration(client, declare("billing"), { instance });
    const secret = await expectSealedSecretSigns(declare("billing").seal.path);
    await control.clearRequests();
    const changed = await applyDeclaration(client, declare("billing", { description: "ledger", isActive: false }), { instance });
    expect(changed).toMatchObject({ action: "updated", id: first.id, changed: ["description", "isActive"] });
    const patch = (await control.requests()).find((r) => r.method === "PATCH")!;
    expect(patch.body).toEqual({ description: ownedDescription("ledger", { stack: "shop", key: "billing", instance }, first.id), isActive: false });
    await client.healthCheck(first.id);
    expect(await expectSealedSecretSigns(declare("billing").seal.path)).toBe(secret);
  });

  test("of two webhooks owning one key, keeps the one whose secret the sealed file holds and deletes the other", async () => {
    const owner = { stack: "shop", key: "dup", instance };
    const first = await applyDeclaration(client, declare("dup"), { instance });
    const twin = await seedOwned(client, owner, { url: receiver.url, events: ["message.sent"], name: "dup" });
    const logged: string[] = [];
    const result = await applyDeclaration(client, declare("dup"), { instance, log: (m) => logged.push(m) });
    expect(result).toMatchObject({ action: "unchanged", id: first.id });
    expect((await client.list()).map((w) => w.id)).toEqual([first.id]);
    expect(logged.join("\n")).toContain(`deleted duplicate webhook ${twin}`);
  });

  test("refuses to choose between two webhooks owning one key when no sealed file tells which secret was kept", async () => {
    const owner = { stack: "shop", key: "twins", instance };
    const a = await seedOwned(client, owner, { url: receiver.url, events: ["message.sent"], name: "twins" });
    const b = await seedOwned(client, owner, { url: receiver.url, events: ["message.sent"], name: "twins" });
    await expect(applyDeclaration(client, declare("twins"), { instance })).rejects.toThrow(new RegExp(`2 webhooks carry the confirmed marker of stack shop key twins: .*${a}.*${b}.*Delete the ones whose secret`, "s"));
    expect((await client.list()).map((w) => w.id).sort()).toEqual([a, b].sort());
  });

  test("rolls a create back when its health-check fails under \"fail\": no webhook, no sealed file, and the error says so", async () => {
    receiver.status = 500;
    const declaration = declare("broken");
    await expect(applyDeclaration(client, declaration, { instance })).rejects.toThrow(/Health-check of webhook \w+ failed: .* Rolled back: webhook \w+ was deleted and .* removed\. Re-applying is safe\./);
    expect(await client.list()).toEqual([]);
    expect(existsSync(declaration.seal.path)).toBe(false);
  });

  test("with adoptId takes over a hand-made webhook: its marker, the declared fields, a health-check; no sealed file, the secret reported unknown; again: in sync", async () => {
    const { id } = await client.create({ url: `${receiver.url}/old`, events: ["message.failed"], name: "made by hand", description: "kept by ops" });
    const declaration = declare("adopted", { adoptId: id, description: "the CRM feed" });
    const logged: string[] = [];
    await control.clearRequests();
    const result = await applyDeclaration(client, declaration, { instance, log: (m) => logged.push(m) });
    expect(result).toMatchObject({ action: "adopted", id, sealedSecretPath: null, lastHealthCheck: { success: true } });
    const [live] = await client.list();
    expect(live).toMatchObject({ id, url: receiver.url, events: ["message.sent"], name: "adopted", description: ownedDescription("the CRM feed", { stack: "shop", key: "adopted", instance }, id) });
    expect(await requests()).not.toContain("POST /api/webhooks");
    expect(existsSync(declaration.seal.path)).toBe(false);
    expect(logged.join("\n")).toMatch(new RegExp(`adopted webhook ${id}.*the signing secret of adopted webhook ${id} is unknown`, "s"));

    const again = await applyDeclaration(client, declaration, { instance });
    expect(again).toMatchObject({ action: "unchanged", id });
    expect((await client.list()).map((w) => w.id)).toEqual([id]);
  });

  test("deletes the new webhook again when its secret cannot be sealed", async () => {
    const blocked = join(dir, "a-file");
    writeFileSync(blocked, "in the way");
    const declaration = { ...declare("unsealable"), seal: { recipients: [recipient], path: join(blocked, "crm.age") } };
    const err = await applyDeclaration(client, declaration, { instance }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookApplyError);
    expect((err as Error).message).toMatch(/sealing the secret of webhook \w+ to .* failed .*the webhook was deleted again so nothing is orphaned/);
    expect(await client.list()).toEqual([]);
  });
});

describe("checkDrift and fixDrift", () => {
  test("find a field changed in the app, an undeclared webhook and a missing one, and put all three back", async () => {
    const crm = declare("crm");
    const ledger = declare("ledger");
    const { id } = await applyDeclaration(client, crm, { instance });
    await client.update(id, { url: "https://elsewhere.example.com/hook" });
    const stray = await seedOwned(client, { stack: "shop", key: "old", instance }, { url: receiver.url, events: ["message.sent"], name: "old" });

    const report = await checkDrift(client, "shop", instance, [crm, ledger]);
    expect(report.inSync).toBe(false);
    expect(report.webhooks.map((e) => `${e.key}:${e.status}`)).toEqual(["crm:drifted", "ledger:missing", "old:undeclared"]);
    expect(report.webhooks[0].changes).toEqual([{ field: "url", live: "https://elsewhere.example.com/hook", declared: receiver.url }]);

    await fixDrift(client, [crm, ledger], report, { instance });
    expect((await checkDrift(client, "shop", instance, [crm, ledger])).inSync).toBe(true);
    const live = await client.list();
    expect(live.find((w) => w.id === stray)).toBeUndefined();
    const created = live.find((w) => markedStackKey(w.description)?.key === "ledger")!;
    await client.healthCheck(created.id);
    await expectSealedSecretSigns(ledger.seal.path);
  });

  test("a lone create that was stopped before it sealed: reported unfinished (apply replaces it), not missing; fixing it leaves one confirmed webhook whose sealed secret signs", async () => {
    const crm = declare("crm");
    // The pending marker a create of a process that has ended on this machine leaves: its nonce names this host, a dead pid, the url and name.
    const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid;
    const target = createHash("sha256").update(`${crm.spec.url}\n${crm.spec.name}`).digest("hex").slice(0, 8);
    const nonce = `${Date.now().toString(36)}-${hostTag()}-${deadPid.toString(36)}-0badc0de-${target}`;
    const { id: stopped } = await client.create({ url: crm.spec.url, events: crm.spec.events, name: crm.spec.name, description: withMarker(null, { owner: { tool: "cdktf", stack: "shop", key: "crm", instance }, pending: nonce }) });

    const report = await checkDrift(client, "shop", instance, [crm]);
    expect(report.webhooks).toEqual([{ key: "crm", status: "unfinished", id: stopped, changes: [], finish: "replace" }]);

    const logged: string[] = [];
    await fixDrift(client, [crm], report, { instance, log: (m) => logged.push(m) });
    expect(logged.join("\n")).toContain(`webhook ${stopped} was created but never confirmed`);
    const live = await client.list();
    expect(live).toHaveLength(1);
    expect(live[0].id).not.toBe(stopped);
    expect(live[0].description).toBe(ownedDescription(null, { stack: "shop", key: "crm", instance }, live[0].id));
    await client.healthCheck(live[0].id);
    await expectSealedSecretSigns(crm.seal.path);
    expect((await checkDrift(client, "shop", instance, [crm])).inSync).toBe(true);
  });
});
