/**
 * The `tokenvault` CLI: serve, migrate, merchants, admin. Every command has --help. `buildProgram` makes the
 * command tree without running anything (tests read every command's help in-process); `main` runs it.
 * The vault, the database driver and the HTTP server are imported inside the actions that use them, so
 * building the tree (and `--help`) loads only commander and a few small modules.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Command, InvalidArgumentError, Option, type OutputConfiguration } from 'commander';
import { GATEWAYS } from './api/gateways/index.ts';
import { CredentialInputError } from './api/gateways/kit/keys.ts';
import type { GatewayModule } from './api/gateways/kit/module.ts';
import type { FieldOption } from './api/gateways/kit/provisioning.ts';
import type { SignedCheckpoint } from './audit/verify.ts';
import { ConfigError, loadConfig } from './config.ts';
import { loadMasterKey, MasterKeyError, writeKeyFile } from './crypto/master-key.ts';
import type { VaultServices } from './open-vault.ts';
import { SCOPES, type Scope } from './vault/scopes.ts';
import { VERSION } from './version.ts';

const positiveInt = (max: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new InvalidArgumentError(`a whole number from 1 to ${max}`);
  return Number(value);
};
const port = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('a port number (0–65535)');
  return Number(value);
};

class CliError extends Error {}

/** What the CLI reads of each gateway: the options it adds to `merchants create` and its key commands. */
export type CliGateway = Pick<GatewayModule, 'id' | 'credentials'>;

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
function addFieldOptions(command: Command, fields: readonly FieldOption[]): (opts: Record<string, unknown>) => Record<string, unknown> {
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

async function withVault<T>(fn: (vault: VaultServices) => Promise<T>): Promise<T> {
  const { openVaultServices } = await import('./open-vault.ts');
  const vault = await openVaultServices(loadConfig());
  warnTightened(vault);
  try {
    return await fn(vault);
  } finally {
    await vault.close();
  }
}

/**
 * The command tree. With `exitOverride`, commander throws instead of exiting (help, version, usage errors);
 * `output` redirects what it prints. Nothing runs until the caller parses arguments.
 */
export function buildProgram(
  opts: { exitOverride?: boolean; output?: OutputConfiguration; gateways?: readonly CliGateway[] } = {},
): Command {
  const gateways = opts.gateways ?? GATEWAYS;
  // Settings made before `.command()` are inherited by every subcommand.
  const program = new Command();
  if (opts.exitOverride) program.exitOverride();
  if (opts.output) program.configureOutput(opts.output);
  program
    .name('tokenvault')
    .description('Card and customer token vault: native REST API plus wire-compatible gateway token APIs.')
    .version(VERSION)
    .showHelpAfterError();

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
      const { serve } = await import('./server.ts');
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
      const { writeDocuments } = await import('./api/openapi-files.ts');
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

  const merchants = program.command('merchants').description('Create and manage merchants (tenants) and their API keys.');

  const create = merchants
    .command('create')
    .description('Create a merchant with credentials for the native API and every gateway API (secrets are printed once).')
    .requiredOption('-n, --name <name>', 'merchant name')
    .option('--json', 'print the credentials as one JSON object');
  const suppliedKeys = addFieldOptions(
    create,
    gateways.flatMap((g) => g.credentials.supplied),
  );
  create.action(async (opts: { name: string; json?: boolean } & Record<string, unknown>) => {
    const keys = suppliedKeys(opts);
    const created = await withVault((v) => v.merchants.create({ name: opts.name, keys }, 'cli'));
    if (opts.json) {
      console.log(JSON.stringify(created, null, 2));
    } else {
      console.log(`merchant ${created.id} (${created.name})\nAPI key (shown once): ${created.apiKey}\n`);
      console.log('Gateway credentials (shown once; use --json for machine-readable output):');
      console.log(JSON.stringify(created.gateways, null, 2));
    }
  });

  merchants
    .command('list')
    .description('List merchants.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const all = await withVault(async (v) => {
        const out = [];
        let after: string | null = null;
        for (;;) {
          const page = await v.merchants.list({ after, limit: 500 });
          out.push(...page);
          if (page.length < 500) return out;
          after = page[page.length - 1]?.id ?? null;
        }
      });
      if (opts.json) console.log(JSON.stringify(all, null, 2));
      else for (const m of all) console.log(`${m.id}\t${m.status}\t${m.createdAt}\t${m.name}`);
    });

  merchants
    .command('show <merchantId>')
    .description('Show a merchant with its API keys (prefixes only) and public gateway identifiers.')
    .action(async (merchantId: string) => {
      const r = await withVault((v) => v.merchants.get(merchantId));
      if (!r.ok) throw new CliError(`no merchant ${merchantId}`);
      console.log(JSON.stringify(r.value, null, 2));
    });

  for (const g of gateways) {
    const rotation = g.credentials.keys;
    if (!rotation) continue;
    const command = merchants.command(`${g.id}-keys <merchantId>`).description(rotation.cli.description);
    const readChange = addFieldOptions(command, rotation.cli.options);
    command.action(async (merchantId: string, opts: Record<string, unknown>) => {
      const change = readChange(opts);
      if (Object.keys(change).length === 0) throw new CliError(rotation.cli.missing);
      const r = await withVault((v) => v.merchants.updateGatewayKeys(merchantId, g.id, change, 'cli'));
      if (!r.ok) throw new CliError(r.detail ?? `no active merchant ${merchantId}`);
      console.log(JSON.stringify(r.value, null, 2));
    });
  }

  const keys = merchants.command('keys').description("Issue and revoke a merchant's API keys.");
  keys
    .command('create <merchantId>')
    .description('Issue an API key (printed once).')
    .option('-s, --scopes <list>', `comma-separated scopes: ${SCOPES.join(',')}`, SCOPES.join(','))
    .option('-l, --label <label>', 'a label to recognise the key by')
    .action(async (merchantId: string, opts: { scopes: string; label?: string }) => {
      const scopes = [...new Set(opts.scopes.split(',').map((s) => s.trim()))];
      const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
      if (bad.length || scopes.length === 0) throw new CliError(`unknown scope(s): ${bad.join(', ')}; choose from ${SCOPES.join(', ')}`);
      const r = await withVault((v) => v.merchants.createApiKey(merchantId, scopes as Scope[], opts.label ?? null, 'cli'));
      if (!r.ok) throw new CliError(`no active merchant ${merchantId}`);
      console.log(JSON.stringify(r.value, null, 2));
    });
  keys
    .command('revoke <merchantId> <keyId>')
    .description('Revoke an API key; requests with it are refused at once.')
    .action(async (merchantId: string, keyId: string) => {
      const r = await withVault((v) => v.merchants.revokeApiKey(merchantId, keyId, 'cli'));
      if (!r.ok) throw new CliError(`no key ${keyId} for merchant ${merchantId}`);
      console.log(`revoked ${keyId} at ${r.value.revokedAt}`);
    });

  merchants
    .command('delete <merchantId>')
    .description('Delete a merchant by destroying its data keys (crypto-shredding): its card data becomes unreadable, also in backups.')
    .option('--yes', 'confirm; without it nothing is deleted')
    .action(async (merchantId: string, opts: { yes?: boolean }) => {
      if (!opts.yes) throw new CliError(`this destroys every card of ${merchantId} for good; add --yes to confirm`);
      const r = await withVault((v) => v.merchants.delete(merchantId, 'cli'));
      if (!r.ok) throw new CliError(`no active merchant ${merchantId}`);
      console.log(`deleted ${merchantId}: data keys destroyed`);
    });

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

  function progressBar(label: string) {
    let lastShown = -1;
    return ({ done, total, phase }: { done: number; total: number; phase: string }) => {
      const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (process.stderr.isTTY) {
        const filled = Math.round(pct / 4);
        process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(25 - filled)}] ${pct}% ${done}/${total} ${phase}  `);
        if (done >= total) process.stderr.write('\n');
      } else if (pct >= lastShown + 10 || done >= total) {
        // Not a terminal (CI, logs): a line per 10% instead of a redrawn bar.
        lastShown = pct;
        process.stderr.write(`${label}: ${pct}% (${done}/${total} ${phase})\n`);
      }
    };
  }

  const keys_ = program
    .command('keys')
    .description('Master-key and data-key rotation, status and retirement (online: servers keep serving).');
  keys_
    .command('status')
    .description('Key versions and how many wrapped keys and records each still protects.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const st = await withVault((v) => v.keys.status());
      if (opts.json) return console.log(JSON.stringify(st, null, 2));
      console.log(`master key: provider ${st.master.provider}, current version ${st.master.current}`);
      for (const [k, n] of Object.entries(st.master.wrappedValues)) console.log(`  ${k}: wraps ${n} keys`);
      console.log('data keys:');
      for (const d of st.data) console.log(`  v${d.version}: active for ${d.activeFor} merchants, protects ${d.records} records`);
      console.log('encrypted fields:');
      for (const f of st.fields) console.log(`  ${f.table}.${f.column} (${f.holds}): ${f.records} records`);
      console.log(`window keys (held CVVs): ${st.windowKeys}`);
      if (st.job) console.log(`re-encryption in progress since ${st.job.startedAt} (resume with keys rotate --data)`);
    });
  keys_
    .command('rotate')
    .description(
      'Without --data: add a master-key version (key file) and re-wrap every data key. With --data: new data keys, records re-encrypted in batches.',
    )
    .option('--data', 'rotate the data keys and re-encrypt every record (resumes an interrupted run)')
    .action(async (opts: { data?: boolean }) => {
      const config = loadConfig();
      if (opts.data) {
        const r = await withVault((v) => v.keys.rotateData(progressBar('re-encrypting')));
        console.log(`${r.resumed ? 'resumed: ' : ''}${r.reencrypted} records re-encrypted in ${r.passes} pass(es)`);
        return;
      }
      const loaded = loadMasterKey(config);
      if (loaded.path && loaded.source !== 'env') {
        // The key file must match the database before a version is added to it (refused otherwise).
        await withVault(async () => undefined);
        const versions = new Map(loaded.versions);
        const next = Math.max(...versions.keys()) + 1;
        versions.set(next, randomBytes(32));
        writeKeyFile(loaded.path, versions);
        console.log(`master key version ${next} added to ${loaded.path}`);
      }
      // Opening with the new version records its key check value, vouched for by the version before it.
      const r = await withVault((v) => v.keys.rewrapAll());
      if (loaded.source === 'env' && r.rewrapped === 0) {
        console.log(
          `every key is already wrapped by master version ${r.to}; to rotate, set TOKENVAULT_MASTER_KEY to "<old N>:<old key>,<N+1>:<new key>" on every server, then run this again`,
        );
      } else console.log(`${r.rewrapped} keys re-wrapped under master version ${r.to}`);
    });
  keys_
    .command('retire')
    .description('Remove an old key version; refused while anything still uses it.')
    .option('--data <version>', 'a data-key version', positiveInt(1_000_000))
    .option('--master <version>', 'a master-key version (removed from the key file)', positiveInt(1_000_000))
    .action(async (opts: { data?: number; master?: number }) => {
      if ((opts.data === undefined) === (opts.master === undefined)) throw new CliError('give exactly one of --data N or --master N');
      if (opts.data !== undefined) {
        const version = opts.data;
        const r = await withVault((v) => v.keys.retireData(version));
        if (!r.ok) throw new CliError(r.detail ?? 'refused');
        return console.log(`data key v${version} retired (${r.value.removed} merchant keys removed)`);
      }
      const version = opts.master as number;
      const config = loadConfig();
      const loaded = loadMasterKey(config);
      if (version === Math.max(...loaded.versions.keys())) throw new CliError(`master version ${version} is the current one`);
      const inUse = await withVault((v) => v.keys.masterVersionInUse(version));
      if (inUse > 0) throw new CliError(`master version ${version} still wraps ${inUse} keys; run keys rotate first`);
      if (loaded.source === 'env' || !loaded.path) {
        await withVault((v) => v.keyCheck.recordRetired(version));
        return console.log(`nothing wraps under master version ${version}: remove it from TOKENVAULT_MASTER_KEY on every server`);
      }
      const versions = new Map(loaded.versions);
      versions.delete(version);
      writeKeyFile(loaded.path, versions);
      await withVault(async (v) => {
        await v.keys.recordMasterRetired(version);
        // A server still holding only this version is no longer vouched for (it could unwrap nothing).
        await v.keyCheck.recordRetired(version);
      });
      console.log(`master version ${version} removed from ${loaded.path}`);
    });

  const admin = program.command('admin').description('Operator commands.');
  admin
    .command('reset-token')
    .description('Replace the stored admin token and print the new one once (ignored when TOKENVAULT_ADMIN_TOKEN is set).')
    .action(async () => {
      const token = await withVault((v) => v.merchants.resetAdminToken());
      console.log(token);
    });
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
