/**
 * The `tokenvault` CLI: serve, migrate, merchants, admin. Every command has --help. `buildProgram` makes the
 * command tree without running anything (tests read every command's help in-process); `main` runs it.
 * The command groups are in src/cli/. The vault, the database driver and the HTTP server are imported inside
 * the actions that use them, so building the tree (and `--help`) loads only commander and a few small modules.
 */
import { Command, type OutputConfiguration } from 'commander';
import { GATEWAYS } from './api/gateways/index.ts';
import { CredentialInputError } from './api/gateways/kit/keys.ts';
import { registerAdminCommands } from './cli/admin.ts';
import { registerAuditCommands } from './cli/audit.ts';
import { CliError, type CliGateway } from './cli/common.ts';
import { registerKeyCommands } from './cli/keys.ts';
import { registerMerchantCommands } from './cli/merchants.ts';
import { registerServerCommands } from './cli/server.ts';
import { ConfigError } from './config.ts';
import { MasterKeyError } from './crypto/master-key.ts';
import { VERSION } from './version.ts';

export type { CliGateway } from './cli/common.ts';

/**
 * The command tree. With `exitOverride`, commander throws instead of exiting (help, version, usage errors);
 * `output` redirects what it prints. Nothing runs until the caller parses arguments.
 */
export function buildProgram(
  opts: { exitOverride?: boolean; output?: OutputConfiguration; gateways?: readonly CliGateway[] } = {},
): Command {
  // Settings made before `.command()` are inherited by every subcommand.
  const program = new Command();
  if (opts.exitOverride) program.exitOverride();
  if (opts.output) program.configureOutput(opts.output);
  program
    .name('tokenvault')
    .description('Card and customer token vault: native REST API plus wire-compatible gateway token APIs.')
    .version(VERSION)
    .showHelpAfterError();

  registerServerCommands(program);
  registerMerchantCommands(program, opts.gateways ?? GATEWAYS);
  registerAuditCommands(program);
  registerKeyCommands(program);
  registerAdminCommands(program);
  return program;
}

/** Runs the CLI: a clear one-line message and exit code 1 on any failure, never a stack trace. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv as string[]);
  } catch (e: unknown) {
    if (e instanceof CliError || e instanceof ConfigError || e instanceof MasterKeyError || e instanceof CredentialInputError) {
      process.stderr.write(`tokenvault: ${e.message}\n`);
    } else if (e instanceof SyntaxError) {
      process.stderr.write(`tokenvault: invalid JSON: ${e.message}\n`);
    } else {
      const err = e as { code?: string; message?: string };
      process.stderr.write(`tokenvault: ${err.code === 'ENOENT' ? err.message : `unexpected error: ${err.message ?? String(e)}`}\n`);
    }
    process.exit(1);
  }
}
