/** `keys status`, `keys rotate` and `keys retire`: master-key and data-key rotation (online: servers keep serving). */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { loadMasterKey, writeKeyFile } from '../crypto/master-key.ts';
import { CliError, positiveInt, withVault } from './common.ts';

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

async function status(opts: { json?: boolean }): Promise<void> {
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
}

async function rotate(opts: { data?: boolean }): Promise<void> {
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
}

async function retire(opts: { data?: number; master?: number }): Promise<void> {
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
}

export function registerKeyCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description('Master-key and data-key rotation, status and retirement (online: servers keep serving).');
  keys
    .command('status')
    .description('Key versions and how many wrapped keys and records each still protects.')
    .option('--json', 'print JSON')
    .action(status);
  keys
    .command('rotate')
    .description(
      'Without --data: add a master-key version (key file) and re-wrap every data key. With --data: new data keys, records re-encrypted in batches.',
    )
    .option('--data', 'rotate the data keys and re-encrypt every record (resumes an interrupted run)')
    .action(rotate);
  keys
    .command('retire')
    .description('Remove an old key version; refused while anything still uses it.')
    .option('--data <version>', 'a data-key version', positiveInt(1_000_000))
    .option('--master <version>', 'a master-key version (removed from the key file)', positiveInt(1_000_000))
    .action(retire);
}
