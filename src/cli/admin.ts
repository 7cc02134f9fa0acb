/** `admin`: operator commands. */
import type { Command } from 'commander';
import { withVault } from './common.ts';

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('Operator commands.');
  admin
    .command('reset-token')
    .description('Replace the stored admin token and print the new one once (ignored when TOKENVAULT_ADMIN_TOKEN is set).')
    .action(async () => {
      const token = await withVault((v) => v.merchants.resetAdminToken());
      console.log(token);
    });
}
