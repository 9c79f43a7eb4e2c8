/**
 * The one shape of every check's result: the checked value, or every problem found, each naming
 * the field, the value as given and the fix. Checks never throw; the edges do (the CLI maps
 * problems to a usage error and exit 1, the Pulumi provider to `check` failures, the construct to
 * a synthesis error).
 */

/** One rejected input: the field as the user named it, the value as given, and a message naming both and the fix. */
export interface Problem<F extends string = string> {
  readonly field: F;
  readonly value: unknown;
  readonly message: string;
}

/** A checked value, or the problems that kept it from being one (never both). */
export type Checked<T, F extends string = string> =
  | { readonly value: T; readonly problems: readonly [] }
  | { readonly value: undefined; readonly problems: readonly Problem<F>[] };

/** A value that passed its check. */
export function valid<T>(value: T): { readonly value: T; readonly problems: readonly [] } {
  return { value, problems: [] };
}

/** A check that failed, with at least one problem. */
export function invalid<F extends string>(first: Problem<F>, ...rest: Problem<F>[]): { readonly value: undefined; readonly problems: readonly Problem<F>[] } {
  return { value: undefined, problems: [first, ...rest] };
}

/** The messages of a list of problems, joined for one line. */
export function describeProblems(problems: readonly Problem[]): string {
  return problems.map((p) => p.message).join("; ");
}
