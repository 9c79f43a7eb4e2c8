/**
 * The one declaration check, in process: what the construct writes, `apply` takes and `drift`
 * reads. Every problem names its field, shows the value and says the fix; the wire form round-trips.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { checkDeclaration, declarationJson, type WebhookDeclaration } from "../../src/webhook/declaration";
import { RECIPIENT } from "../helpers/bad-input";

const dir = mkdtempSync(join(tmpdir(), "tuco-declaration-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const wire = (overrides: Record<string, unknown> = {}) => ({
  stack: "prod",
  key: "team/crm",
  name: "  crm events ",
  url: "https://hooks.example.com/tuco",
  events: ["message.reply", "message.sent", "message.reply"],
  seal: { recipients: `${RECIPIENT}, ${RECIPIENT}`, path: "sealed/crm.age" },
  ...overrides,
});

function problemsOf(value: unknown) {
  const checked = checkDeclaration(value);
  expect(checked.value).toBeUndefined();
  return checked.problems;
}

describe("checkDeclaration", () => {
  test("normalizes a valid declaration: the spec, the default policy, recipients de-duplicated, the seal path absolute", () => {
    const checked = checkDeclaration(wire());
    expect(checked.problems).toEqual([]);
    expect(checked.value).toEqual<WebhookDeclaration>({
      owner: { stack: "prod", key: "team/crm" },
      spec: { url: "https://hooks.example.com/tuco", events: ["message.reply", "message.sent"], name: "crm events", description: null, isActive: true },
      healthCheck: "fail",
      seal: { recipients: [RECIPIENT], path: resolve("sealed/crm.age") },
      adoptId: null,
    });
  });

  test("rejects every bad part at once, each naming its field, the value and the fix", () => {
    const problems = problemsOf(
      wire({ stack: "my stack", key: "", url: "http://hooks.example.com", healthCheck: "loud", extra: 1, seal: { recipients: ["age1nope"], path: `${dir}\n` } }),
    );
    expect(problems.map((p) => p.field)).toEqual(["extra", "stack", "key", "url", "healthCheck", "seal.recipients[0]", "seal.path"]);
    const messages = problems.map((p) => p.message);
    expect(messages[0]).toBe('unknown field "extra": remove or fix (known: stack, key, name, url, events, description, isActive, healthCheck, seal, adoptId)');
    expect(messages[1]).toBe('stack "my stack" cannot mark webhook ownership: use 1-200 characters of A-Z a-z 0-9 . _ / -');
    expect(messages[3]).toMatch(/^url "http:\/\/hooks.example.com" uses plain http:\/\/ .*use https:\/\//);
    expect(messages[4]).toMatch(/^healthCheck "loud" is not a policy: use "fail", "warn" or "skip"/);
    expect(messages[5]).toMatch(/^seal\.recipients\[0\] "age1nope" is not a valid X25519 age recipient.*copy the public key exactly/);
    expect(messages[6]).toMatch(/^seal\.path ".*\\n" contains control characters.*use a plain file path/);
  });

  test("names the seal's fields as the caller calls them", () => {
    const checked = checkDeclaration(wire({ seal: { recipients: [], path: "" } }), { recipients: "recipients", sealPath: "sealedSecretPath" });
    expect(checked.problems.map((p) => p.field)).toEqual(["recipients", "sealedSecretPath"]);
    expect(checked.problems[0].message).toMatch(/^recipients is empty: .*age-keygen/);
    expect(checked.problems[1].message).toMatch(/^sealedSecretPath "" is empty: name the file to write/);
  });

  test("rejects a value that is not an object as one problem about the whole declaration", () => {
    expect(problemsOf([1, 2])).toEqual([{ field: "declaration", value: [1, 2], message: 'must be a JSON object like {"stack":"prod","key":"crm","name":...}, got [1,2]' }]);
  });

  test("refuses a description that carries an ownership marker anywhere, and a missing seal", () => {
    const problems = problemsOf(wire({ description: "copied [tuco-webhooks stack=other key=crm] here", seal: undefined }));
    expect(problems.map((p) => p.field)).toEqual(["description", "seal"]);
    expect(problems[0].message).toMatch(/^description ".*" contains a tuco-webhooks ownership marker \(\[tuco-webhooks \.\.\.\]\): remove it/);
    expect(problems[1].message).toMatch(/^seal is missing: add "seal": .*seal\.recipients is empty/);
  });

  test("reads back its own wire form unchanged (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          stack: fc.stringMatching(/^[A-Za-z0-9._/-]{1,20}$/),
          key: fc.stringMatching(/^[A-Za-z0-9._/-]{1,20}$/),
          name: fc.stringMatching(/^[a-z][a-z0-9 -]{0,30}$/),
          events: fc.uniqueArray(fc.constantFrom("message.sent", "message.failed", "message.fallback", "message.reply", "message.opened"), { minLength: 1 }),
          description: fc.option(fc.stringMatching(/^[A-Za-z][A-Za-z ,.]{0,40}$/), { nil: null }),
          isActive: fc.boolean(),
          healthCheck: fc.constantFrom("fail", "warn", "skip"),
        }),
        (parts) => {
          const first = checkDeclaration({ ...parts, url: "https://hooks.example.com/x", seal: { recipients: [RECIPIENT], path: join(dir, "x.age") } });
          expect(first.problems).toEqual([]);
          const again = checkDeclaration(JSON.parse(JSON.stringify(declarationJson(first.value!))));
          expect(again.value).toEqual(first.value);
        },
      ),
      { numRuns: 200 },
    );
  });
});
