/** `audit verify` and `audit checkpoint`: the tamper-evident audit log. */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { SignedCheckpoint } from '../audit/verify.ts';
import { withVault } from './common.ts';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('The tamper-evident audit log.');
  audit
    .command('verify')
    .description('Recompute every hash chain and check the newest signed checkpoint; exits 1 and names the first broken event.')
    .option('--json', 'print the report as JSON')
    .option('--checkpoint <file>', 'check against a checkpoint kept outside the database (from audit checkpoint --out)')
    .action(async (opts: { json?: boolean; checkpoint?: string }) => {
      const external = opts.checkpoint ? (JSON.parse(fs.readFileSync(opts.checkpoint, 'utf8')) as SignedCheckpoint) : undefined;
      const report = await withVault((v) => v.audit.verify(external));
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else {
        console.log(`${report.chains} chains, ${report.events} events`);
        if (report.firstBreak)
          console.log(`BROKEN: chain ${report.firstBreak.chain}, event ${report.firstBreak.seq}: ${report.firstBreak.reason}`);
        if (report.checkpoint) {
          console.log(
            `checkpoint ${report.checkpoint.id} (${report.checkpoint.at}): ${report.checkpoint.ok ? 'ok' : `FAILED: ${report.checkpoint.reason}`}`,
          );
        } else console.log('no checkpoint yet (run `tokenvault audit checkpoint`)');
        console.log(report.ok ? 'audit log OK' : 'audit log FAILED verification');
      }
      if (!report.ok) process.exitCode = 1;
    });
  audit
    .command('checkpoint')
    .description('Sign the head of every chain with the vault key, so deleting the newest events is detectable.')
    .option('--out <file>', 'also write the signed checkpoint to this file: keep it off the database host')
    .action(async (opts: { out?: string }) => {
      const cp = await withVault((v) => v.audit.checkpoint());
      if (opts.out)
        fs.writeFileSync(opts.out, `${JSON.stringify({ id: cp.id, at: cp.at, payload: cp.payload, signature: cp.signature }, null, 2)}\n`);
      console.log(`checkpoint ${cp.id} at ${cp.at}: ${cp.chains} chains signed${opts.out ? `, written to ${opts.out}` : ''}`);
    });
}
