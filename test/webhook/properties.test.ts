/**
 * Properties of the shared model (issue 6), with fast-check over adversarial but valid specs
 * (test/helpers/arbitraries.ts): validation is stable and its messages keep their shape for ANY
 * input; the diff of a normalized spec with itself, or with its own read-back, is empty; and ANY spec
 * that passes validation is accepted by the emulator: created (and updated) through the real HTTP
 * client, read back with GET, and the diff with the spec is empty.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TucoClient } from "../../src/api/client";
import { WEBHOOK_EVENTS } from "../../src/api/types";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { diffWebhook } from "../../src/webhook/diff";
import { createWebhook, reconcileWebhook } from "../../src/webhook/lifecycle";
import { makeCreateNonce, readDescription, withMarker } from "../../src/webhook/ownership";
import { showValue } from "../../src/private/text";
import { parseWebhookSpec, validateWebhookSpec, type WebhookSpec } from "../../src/webhook/spec";
import { ownerPartArb, specInputArb } from "../helpers/arbitraries";

let emulator: RunningEmulator;
let client: TucoClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new TucoClient({ apiKey: "tuco_sk_properties", apiUrl: emulator.url, retry: { retries: 0 } });
});

afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

/** The valid specs among the generated inputs: the premise of every property below. */
const validSpecs: fc.Arbitrary<WebhookSpec> = specInputArb
  .map((input) => validateWebhookSpec(input).value)
  .filter((spec): spec is WebhookSpec => spec !== undefined);

/** What Tuco could answer for a spec: events in any order with duplicates, a cleared description as null or "". */
const readBackOf = (spec: WebhookSpec) =>
  fc.record({ shuffled: fc.shuffledSubarray(spec.events, { minLength: spec.events.length }), duplicate: fc.subarray(spec.events), emptyAsString: fc.boolean() }).map((r) => ({
    ...spec,
    events: [...r.shuffled, ...r.duplicate],
    description: spec.description === null && r.emptyAsString ? "" : spec.description,
  }));

describe("the shared model (properties)", () => {
  it("mostly generates valid specs, so the properties below are not vacuous", () => {
    const sample = fc.sample(specInputArb, { numRuns: 300, seed: 6 });
    const valid = sample.filter((input) => validateWebhookSpec(input).value !== undefined).length;
    expect(valid / sample.length).toBeGreaterThan(0.7);
  });

  it("never throws on any input, and every failure is one line that starts with its field and the value shown", () => {
    const anyField = fc.oneof(fc.jsonValue(), fc.string({ unit: "binary" }), fc.constant(undefined), fc.array(fc.string()));
    fc.assert(
      fc.property(fc.record({ url: anyField, events: anyField, name: anyField, description: anyField, isActive: anyField }, { requiredKeys: [] }), (input) => {
        const result = validateWebhookSpec(input);
        for (const f of result.problems) {
          const shown = f.field === "url" ? showValue(f.value) : showValue(input[f.field]);
          expect(f.message.startsWith(`${f.field} ${shown} `), f.message).toBe(true);
          expect(f.message).not.toMatch(/[\r\n\u2028\u2029]/);
          expect(f.message).toMatch(/: .{8,}/); // a fix follows the colon
        }
        if (result.value) expect(parseWebhookSpec(result.value)).toEqual(result.value);
      }),
      { numRuns: 400 },
    );
  });

  it("finds no difference between a normalized spec and itself (property)", () => {
    fc.assert(
      fc.property(validSpecs, (spec) => {
        expect(diffWebhook(spec, spec)).toEqual({ changed: [], patch: {} });
        expect(parseWebhookSpec(spec)).toEqual(spec);
      }),
      { numRuns: 300 },
    );
  });

  it("finds no difference between a spec and any read-back Tuco could answer for it (property)", () => {
    fc.assert(
      fc.property(validSpecs.chain((spec) => fc.tuple(fc.constant(spec), readBackOf(spec))), ([spec, live]) => {
        expect(diffWebhook(spec, live)).toEqual({ changed: [], patch: {} });
      }),
      { numRuns: 300 },
    );
  });

  it("normalizes events to the sorted set of the five known ones", () => {
    fc.assert(
      fc.property(validSpecs, (spec) => {
        expect(spec.events).toEqual([...new Set(spec.events)].sort());
        for (const e of spec.events) expect(WEBHOOK_EVENTS).toContain(e);
      }),
      { numRuns: 200 },
    );
  });
});

describe("the emulator accepts every valid spec (properties, through the real HTTP client)", () => {
  it("creates any valid spec, and GET reads back exactly that spec", async () => {
    await fc.assert(
      fc.asyncProperty(validSpecs, async (spec) => {
        const { webhook } = await createWebhook(client, spec);
        const live = await client.get(webhook.id);
        expect(diffWebhook(spec, live)).toEqual({ changed: [], patch: {} });
        expect(live.isActive).toBe(spec.isActive);
      }),
      { numRuns: 120 },
    );
  });

  it("updates any valid spec into any other, and GET reads back the second", async () => {
    await fc.assert(
      fc.asyncProperty(validSpecs, validSpecs, async (first, second) => {
        const { webhook } = await createWebhook(client, first);
        await reconcileWebhook(client, second, await client.get(webhook.id));
        expect(diffWebhook(second, await client.get(webhook.id))).toEqual({ changed: [], patch: {} });
      }),
      { numRuns: 60 },
    );
  });

  it("accepts the description apply sends (the user's, then the ownership marker) and reads back the same owner and text", async () => {
    await fc.assert(
      fc.asyncProperty(validSpecs, ownerPartArb, ownerPartArb, async (spec, stack, key) => {
        const marker = { owner: { tool: "cdktf" as const, stack, key, instance: "instance-1" }, pending: makeCreateNonce(spec, Date.now()) };
        const tagged = { ...spec, description: withMarker(spec.description, marker) };
        const { webhook } = await createWebhook(client, tagged);
        const live = await client.get(webhook.id);
        expect(readDescription(live.description)).toEqual({ description: spec.description, marker, unreadable: false });
        expect(diffWebhook(tagged, live).changed).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
