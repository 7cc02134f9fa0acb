/**
 * `merchants`: create, list, show and delete merchants, change a gateway's keys (`merchants <gateway>-keys`,
 * one per gateway with a keys hook), issue and revoke API keys (`merchants keys`) and issue publishable keys for card
 * elements (`merchants publishable-key`).
 */
import type { Command } from 'commander';
import { SCOPES, type Scope } from '../vault/scopes.ts';
import { addFieldOptions, CliError, type CliGateway, withVault } from './common.ts';

/** `merchants create`: an option per key a gateway takes supplied rather than generated. */
function addCreate(merchants: Command, gateways: readonly CliGateway[]): void {
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
}

function addListAndShow(merchants: Command): void {
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
}

/** `merchants <gateway>-keys <merchantId>` for each gateway with a keys hook. */
function addGatewayKeyCommands(merchants: Command, gateways: readonly CliGateway[]): void {
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
}

/** `merchants keys create` and `merchants keys revoke`: a merchant's API keys. */
function addApiKeyCommands(merchants: Command): void {
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
}

/** A repeatable option's values, in order. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `merchants publishable-key <merchantId> --origin URL…`: a publishable key for card elements. */
function addPublishableKey(merchants: Command): void {
  merchants
    .command('publishable-key <merchantId>')
    .description('Issue a publishable key (tv_pk_…) for card elements, used from the web origins given.')
    .requiredOption('--origin <url>', 'a web origin the checkout page is served from, e.g. https://shop.example (repeat for more)', collect)
    .option('-l, --label <label>', 'a label to recognise the key by')
    .option('--json', 'print the key as one JSON object')
    .action(async (merchantId: string, opts: { origin: string[]; label?: string; json?: boolean }) => {
      const r = await withVault((v) => v.merchants.createPublishableKey(merchantId, opts.origin, opts.label ?? null, 'cli'));
      if (!r.ok) throw new CliError(r.error === 'invalid_origin' ? `bad --origin: ${r.detail}` : `no active merchant ${merchantId}`);
      const { id, key, origins, prefix, label, createdAt } = r.value;
      if (opts.json) console.log(JSON.stringify({ id, type: 'publishable', key, origins, prefix, label, createdAt }, null, 2));
      else console.log(`publishable key ${id} for ${origins.join(', ')}:\n${key}`);
    });
}

function addDelete(merchants: Command): void {
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
}

/** The `merchants` group, its subcommands in the order `--help` lists them. */
export function registerMerchantCommands(program: Command, gateways: readonly CliGateway[]): void {
  const merchants = program.command('merchants').description('Create and manage merchants (tenants) and their API keys.');
  addCreate(merchants, gateways);
  addListAndShow(merchants);
  addGatewayKeyCommands(merchants, gateways);
  addApiKeyCommands(merchants);
  addPublishableKey(merchants);
  addDelete(merchants);
}
