/** One `tuco-webhooks` subcommand. `run` resolves to the process exit code and never calls process.exit. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  run(args: readonly string[]): Promise<number>;
}
