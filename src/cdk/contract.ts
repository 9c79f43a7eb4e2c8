/**
 * The contract between the `TucoWebhook` construct and what reads its synthesized output (the
 * provisioners' CLI and `tuco-webhooks drift`): which trigger keys hold which JSON, how that JSON
 * is written into a Terraform JSON string, and the exact commands the provisioners run. This
 * module never imports cdktf, so the CLI can load it.
 */
import { INSTANCE_ENV, InvalidDeclarationError, declarationJson, type WebhookDeclaration } from "../webhook/declaration";

export { DECLARATION_ENV, INSTANCE_ENV } from "../webhook/declaration";

/** The trigger key that holds a webhook's declaration (its wire JSON, see `webhookTriggerJson`). */
export const WEBHOOK_TRIGGER = "tuco_webhook";
/** The construct id of a stack's prune resource (a public contract: changing it re-runs the prune). */
export const PRUNE_ID = "TucoWebhooksPrune";
/** The trigger key that holds the prune resource's state (JSON of `DeclaredPrune`). */
export const PRUNE_TRIGGER = "tuco_webhooks_prune";
/** The construct id of a stack's instance resource, whose id in the Terraform state is the stack instance. */
export const INSTANCE_ID = "TucoWebhooksInstance";
/** The trigger key that holds the stack instance (a reference to the instance resource's id). */
export const INSTANCE_TRIGGER = "tuco_instance";
/** The Terraform output that holds the stack instance, for `drift` (`terraform output -raw tuco_webhooks_instance`). */
export const INSTANCE_OUTPUT = "tuco_webhooks_instance";
/** The longest environment variable (name=value and its NUL) a process gets on Linux: MAX_ARG_STRLEN, in bytes. */
export const MAX_ENV_ENTRY_BYTES = 131_072;

/** The error for a construct of the user's under `stack` whose id tuco-webhooks reserves (`PRUNE_ID`, `INSTANCE_ID`). */
export function reservedIdError(stack: { readonly node: { readonly path: string; readonly id: string } }, id: string): InvalidDeclarationError {
  return new InvalidDeclarationError(JSON.stringify(stack.node.path), [
    { field: "id", value: id, message: `the construct id "${id}" under stack "${stack.node.id}" is reserved by tuco-webhooks: rename that construct` },
  ]);
}

/** The Terraform expression of a resource's id. */
export function idReference(type: string, name: string): string {
  return `\${${type}.${name}.id}`;
}

/** The Terraform expression a provisioner reads the stack instance with, from its own resource's triggers. */
export function selfInstanceReference(triggersField: "triggers" | "triggers_replace"): string {
  return `\${self.${triggersField}.${INSTANCE_TRIGGER}}`;
}

/** The environment of the instance resource's destroy-time sweep: the instance is its own id. */
export function sweepEnvironment(): Record<string, string> {
  return { [INSTANCE_ENV]: "${self.id}" };
}

/** The bytes an environment variable takes in a process's environment (`NAME=value` and its NUL). */
export function envEntryBytes(name: string, value: string): number {
  return Buffer.byteLength(`${name}=${value}`) + 1;
}

/** The prune resource's state: the stack and every key it declares, sorted. */
export interface DeclaredPrune {
  readonly stack: string;
  readonly keep: string[];
}

/**
 * Makes JSON text safe inside a Terraform JSON string. Terraform evaluates every string of
 * `*.tf.json` as a template (`${...}`, `%{...}`), and cdktf rewrites Terraform's own `$${`
 * escape, so every `$` and `%` is written as the JSON escape `\u0024` / `\u0025` instead: the
 * text stays valid JSON that any parser reads back to the same value, and holds no template.
 */
export function terraformSafeJson(json: string): string {
  return json.replace(/\$/g, "\\u0024").replace(/%/g, "\\u0025");
}

/** Quotes one word for /bin/sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The canonical JSON of a declared webhook, as its trigger and TUCO_WEBHOOK_SPEC hold it: equal declarations give equal triggers. */
export function webhookTriggerJson(declaration: WebhookDeclaration): string {
  return terraformSafeJson(JSON.stringify(declarationJson(declaration)));
}

/** The canonical JSON of the prune declaration. */
export function pruneJson(p: DeclaredPrune): string {
  return terraformSafeJson(JSON.stringify({ stack: p.stack, keep: p.keep }));
}

/**
 * The provisioner commands, given the CLI path: what the construct writes and the reader expects.
 * `exec` makes the shell Terraform starts become the CLI: when a run is cancelled Terraform kills
 * that process, and without `exec` it would kill only the shell and leave the CLI running on.
 */
export const commands = {
  apply: (cli: string) => `exec node ${shellQuote(cli)} apply`,
  delete: (cli: string, stack: string, key: string) => `exec node ${shellQuote(cli)} delete ${deleteArgs(stack, key)}`,
  prune: (cli: string, stack: string, keep: readonly string[]) => `exec node ${shellQuote(cli)} prune ${pruneArgs(stack, keep)}`,
};

/** The arguments of a webhook's destroy command. */
export function deleteArgs(stack: string, key: string): string {
  return `--stack ${shellQuote(stack)} --key ${shellQuote(key)}`;
}

/** The arguments of the prune command (`keep` empty: every webhook of the stack). */
export function pruneArgs(stack: string, keep: readonly string[]): string {
  return `--stack ${shellQuote(stack)} --keep ${shellQuote(keep.join(","))}`;
}

/** `exec node '<cli>' <subcommand> <rest>` as the construct writes it. */
const CLI_COMMAND = /^exec node '(?:[^']|'\\'')*' (apply|delete|prune)(?: (.*))?$/s;
/** A command that runs our CLI (its bin name, or the compiled entry point `dist/cli/main.js` the construct writes); another script's `main.js apply` is not ours. */
const RUNS_TUCO_CLI = /(?:^|[\s'"/])(?:tuco-webhooks|dist\/cli\/main\.js'?)\s+(?:apply|delete|prune)\b/;

/** The subcommand and the rest of a command the construct wrote, or undefined when it is not one. */
export function parseCliCommand(command: string): { sub: string; rest: string } | undefined {
  const m = CLI_COMMAND.exec(command);
  return m ? { sub: m[1], rest: m[2] ?? "" } : undefined;
}

/** Whether a command runs the tuco-webhooks CLI at all (hand-written or not). */
export function runsTucoCli(command: string): boolean {
  return RUNS_TUCO_CLI.test(command);
}
