/**
 * What every command group of the CLI shares: the error it reports as one line, the option parsers, the
 * options made from gateway fields, and opening the vault for one action (imported lazily, so building the
 * command tree loads no database driver).
 */
import fs from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { GatewayModule } from '../api/gateways/kit/module.ts';
import type { FieldOption } from '../api/gateways/kit/provisioning.ts';
import { loadConfig } from '../config.ts';
import type { VaultServices } from '../open-vault.ts';

/** A refusal the CLI reports as `tokenvault: <message>` and exit code 1. */
export class CliError extends Error {}

/** What the CLI reads of each gateway: the options it adds to `merchants create` and its key commands. */
export type CliGateway = Pick<GatewayModule, 'id' | 'credentials'>;

export const positiveInt = (max: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new InvalidArgumentError(`a whole number from 1 to ${max}`);
  return Number(value);
};
export const port = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('a port number (0–65535)');
  return Number(value);
};

function readValue(value: unknown, read: FieldOption['cli']['read']): unknown {
  switch (read) {
    case 'file-text':
      return fs.readFileSync(String(value), 'utf8');
    case 'file-json':
      return JSON.parse(fs.readFileSync(String(value), 'utf8'));
    case 'number':
      return Number(value);
    case 'flag':
      return true;
    case 'text':
      return value;
  }
}

/**
 * Adds an option per field to `command`; the function returned reads the parsed options back into an
 * object by field (an option not given, or given empty, is left out; files are read here).
 */
export function addFieldOptions(
  command: Command,
  fields: readonly FieldOption[],
): (opts: Record<string, unknown>) => Record<string, unknown> {
  const options = fields.map(({ field, cli }) => {
    const option = new Option(cli.flag, cli.description);
    if (cli.choices) option.choices(cli.choices);
    if (cli.default !== undefined) option.default(cli.default);
    command.addOption(option);
    return { field, read: cli.read, name: option.attributeName() };
  });
  return (opts) => Object.fromEntries(options.flatMap((o) => (opts[o.name] ? [[o.field, readValue(opts[o.name], o.read)]] : [])));
}

/** Says so when opening the vault had to make files or the data directory owner-only. */
function warnTightened(vault: VaultServices): void {
  for (const t of vault.store.tightened ?? []) process.stderr.write(`tokenvault: warning: made owner-only: ${t}\n`);
}

/** Opens the vault with the configuration from the environment, runs `fn` on it, and closes it. */
export async function withVault<T>(fn: (vault: VaultServices) => Promise<T>): Promise<T> {
  const { openVaultServices } = await import('../open-vault.ts');
  const vault = await openVaultServices(loadConfig());
  warnTightened(vault);
  try {
    return await fn(vault);
  } finally {
    await vault.close();
  }
}
