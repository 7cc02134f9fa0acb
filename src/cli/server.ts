/** `serve`, `migrate`, `openapi` and `backup`: running the server and what an operator does around it. */
import fs from 'node:fs';
import { type Command, Option } from 'commander';
import { loadConfig } from '../config.ts';
import { CliError, port, positiveInt, withVault } from './common.ts';

export function registerServerCommands(program: Command): void {
  program
    .command('serve')
    .description('Start the HTTP server (migrations are applied first).')
    .addOption(new Option('-p, --port <port>', 'port to listen on').env('PORT').argParser(port))
    .addOption(new Option('--host <host>', 'address to bind').env('HOST'))
    .addOption(
      new Option('-w, --workers <n>', 'processes sharing the port (one per core)').env('TOKENVAULT_WORKERS').argParser(positiveInt(64)),
    )
    .action(async (opts: { port?: number; host?: string; workers?: number }) => {
      const config = loadConfig(process.env, {
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.host !== undefined ? { host: opts.host } : {}),
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      });
      const { serve } = await import('../server.ts');
      await serve(config);
    });

  program
    .command('migrate')
    .description('Apply database migrations and exit.')
    .action(async () => {
      // Migrations first, then the master-key check (on a new database it needs the settings table).
      const applied = await withVault(async (v) => v.migrated);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    });

  program
    .command('openapi')
    .description(
      'Write the OpenAPI 3.1 document of every API (native, the five gateways, operations) to a directory, as the server serves them at /openapi/<api>.json. Needs no database: it builds the server on a throwaway one.',
    )
    .requiredOption('--out <dir>', 'the directory to write <api>.json files into (made if absent)')
    .action(async (opts: { out: string }) => {
      const { writeDocuments } = await import('../api/openapi-files.ts');
      for (const file of await writeDocuments(opts.out)) console.log(file);
    });

  program
    .command('backup')
    .description(
      'SQLite: write a consistent copy of the database to a new file while the server runs (restore: put it in an empty data directory as tokenvault.db and start with the same master key). PostgreSQL: use pg_dump (README, Backup and restore).',
    )
    .requiredOption(
      '--out <file>',
      'the file to write (must not exist); keep the master key elsewhere: the copy is useless without it, and so is the key without the copy',
    )
    .action(async (opts: { out: string }) => {
      if (fs.existsSync(opts.out)) throw new CliError(`${opts.out} exists already: a backup never overwrites a file`);
      const r = await withVault((v) => v.store.backup(opts.out));
      if (r === null) throw new CliError('on PostgreSQL, back up with pg_dump (see the README, Backup and restore)');
      console.log(`backup written to ${opts.out} (${r.bytes} bytes, mode 0600)`);
    });
}
