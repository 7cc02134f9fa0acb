/**
 * Opens the vault: the database (migrated), the master key and keyring, and every vault service, without the
 * HTTP layer, so CLI commands load no web framework. app.ts builds the HTTP app on top of it.
 */
import { GATEWAYS } from './api/gateways/index.ts';
import type { Config } from './config.ts';
import { createKeyring, type Keyring } from './crypto/keyring.ts';
import {
  createLocalMasterKeyProvider,
  describeMasterKeySource,
  type LoadedMasterKey,
  loadMasterKey,
  type MasterKeyProvider,
} from './crypto/master-key.ts';
import type { Metrics } from './metrics.ts';
import type { Processor } from './payments/processor.ts';
import { createSimulatorProcessor } from './payments/simulator.ts';
import { openStore, type StoreHandle } from './store/db.ts';
import { merchantStore } from './store/merchant-store.ts';
import { pgNotifyChannel } from './store/pg-notify.ts';
import { openRedis, type RedisClient } from './store/redis.ts';
import { createScrubber } from './store/scrub.ts';
import { createAuditService } from './vault/audit.ts';
import { createCardPaymentService } from './vault/card-payments.ts';
import { createCardService } from './vault/cards.ts';
import { type ChangeFeed, type ChangeTransport, createChangeFeed } from './vault/changes.ts';
import { createCustomerCardService } from './vault/customer-cards.ts';
import { createCustomerService } from './vault/customers.ts';
import type { VaultDeps } from './vault/deps.ts';
import { createElementsDemo } from './vault/elements-demo.ts';
import { createIdempotencyService } from './vault/idempotency.ts';
import { createKeyService } from './vault/keys.ts';
import { createMasterKeyCheck, type MasterKeyCheck } from './vault/master-key-check.ts';
import { createMerchantService } from './vault/merchants.ts';
import { createOutboxService } from './vault/outbox.ts';
import { createPaymentService, noopPaymentMetrics, type PaymentMetrics } from './vault/payments.ts';
import { createReplayService } from './vault/replay.ts';
import { createRevealService } from './vault/reveal.ts';
import { createSessionService } from './vault/sessions.ts';

export interface Vault {
  readonly store: StoreHandle;
  readonly masterKey: LoadedMasterKey;
  readonly keyring: Keyring;
  readonly merchants: ReturnType<typeof createMerchantService>;
  /** The card elements demo's merchant and publishable key (development): vault/elements-demo.ts. */
  readonly elementsDemo: ReturnType<typeof createElementsDemo>;
  readonly customers: ReturnType<typeof createCustomerService>;
  readonly cards: ReturnType<typeof createCardService>;
  readonly reveal: ReturnType<typeof createRevealService>;
  readonly audit: ReturnType<typeof createAuditService>;
  readonly keys: ReturnType<typeof createKeyService>;
  readonly payments: ReturnType<typeof createPaymentService>;
  /** Paying with a card number in one call (tokenize, pay, keep or remove): vault/card-payments.ts. */
  readonly cardPayments: ReturnType<typeof createCardPaymentService>;
  /** A card for a customer named by the merchant's reference, made on first sight: vault/customer-cards.ts. */
  readonly customerCards: ReturnType<typeof createCustomerCardService>;
  readonly sessions: ReturnType<typeof createSessionService>;
  /** Idempotency-Key records of the native API. */
  readonly idempotency: ReturnType<typeof createIdempotencyService>;
  /** Replay claims and kept first answers shared by every instance (gateways): vault/replay.ts. */
  readonly replays: ReturnType<typeof createReplayService>;
  readonly metrics: Metrics;
  readonly master: MasterKeyProvider;
  /** The database's record of the master key: verified at open, re-verified by /readyz. */
  readonly keyCheck: MasterKeyCheck;
  /** Migrations this open applied. */
  readonly migrated: readonly string[];
  /** The vault's clock (tests may set it). */
  readonly now: () => Date;
  /** Redis, when TOKENVAULT_REDIS_URL is set: shared rate limits, lockout counters and replay claims. */
  readonly redis: RedisClient | null;
  /** Change notifications between processes; a server calls `changes.listen()` to hear the others'. */
  readonly changes: ChangeFeed;
  /** Deliveries to merchants' URLs (callbacks), written with the outcomes they report: vault/outbox.ts. */
  readonly outbox: ReturnType<typeof createOutboxService>;
  close(): Promise<void>;
}

/** The vault without a Prometheus registry. */
export type VaultServices = Omit<Vault, 'metrics'>;

export interface OpenVaultOptions {
  migrate?: boolean;
  now?: () => Date;
  processor?: Processor;
  /**
   * How change notifications reach the other processes: PostgreSQL uses LISTEN/NOTIFY by default; SQLite has
   * none unless given one (the `--workers` cluster passes its IPC relay).
   */
  changeTransport?: ChangeTransport;
}

/** Opens the database, applies migrations (unless told not to) and builds the vault services. */
export async function openVault(config: Config, opts: OpenVaultOptions = {}): Promise<Vault> {
  const { createMetrics } = await import('./metrics.ts');
  const metrics = createMetrics();
  return { ...(await open(config, opts, metrics.payments)), metrics };
}

/**
 * The vault for a CLI command, which serves nothing: no metrics registry (prom-client is not loaded) and
 * payment outcomes are not counted.
 */
export function openVaultServices(config: Config, opts: OpenVaultOptions = {}): Promise<VaultServices> {
  return open(config, opts, noopPaymentMetrics);
}

async function open(config: Config, opts: OpenVaultOptions, paymentMetrics: PaymentMetrics): Promise<VaultServices> {
  const masterKey = loadMasterKey(config);
  const store = await openStore(config);
  const master = createLocalMasterKeyProvider(masterKey.versions, masterKey.reload ?? undefined);
  const keyring = createKeyring({
    master,
    cacheTtlMs: config.keyCacheSeconds * 1000,
    source: {
      loadKeys: async (merchantId) =>
        (await merchantStore.loadDataKeys(store.db, merchantId)).map((r) => ({ ...r, purpose: r.purpose as 'data' | 'fingerprint' })),
    },
  });
  const keyCheck = createMasterKeyCheck({ db: store.db, master, keyring, source: describeMasterKeySource(masterKey) });
  let migrated: string[] = [];
  try {
    if (opts.migrate !== false) migrated = await store.migrate();
    // Fail closed: a key that does not match the database's record refuses to start (MasterKeyError).
    await keyCheck.verifyAndRecord();
  } catch (e) {
    await store.close();
    throw e;
  }
  const redis = config.redisUrl
    ? openRedis(config.redisUrl, (message) => process.emitWarning(`redis: ${message}`, 'TokenvaultRedis'))
    : null;
  const changes = createChangeFeed({
    transport:
      opts.changeTransport ??
      (config.databaseUrl ? pgNotifyChannel({ url: config.databaseUrl, schema: config.databaseSchema, db: store.db }) : null),
    fallbackMs: config.cacheFallbackMs,
    onError: (message) => process.emitWarning(message, 'TokenvaultChanges'),
  });
  changes.on((c) => {
    if (c.kind !== 'merchant' && c.kind !== 'keys' && c.kind !== 'all') return;
    if (c.merchantId === null) keyring.forgetAll();
    else keyring.forget(c.merchantId);
  });
  const deps: VaultDeps = {
    db: store.db,
    keyring,
    master,
    now: opts.now ?? (() => new Date()),
    cvvTtlMs: config.cvvTtlSeconds * 1000,
    scrubber: createScrubber((tables) => store.scrub(tables)),
    changes,
  };
  const cards = createCardService(deps);
  const payments = createPaymentService({
    ...deps,
    processor: opts.processor ?? createSimulatorProcessor(),
    processorTimeoutMs: config.processorTimeoutMs,
    metrics: paymentMetrics,
    cards,
  });
  const customers = createCustomerService(deps);
  const idempotency = createIdempotencyService(deps);
  const merchants = createMerchantService(deps, { authCacheMs: config.authCacheSeconds * 1000, gateways: GATEWAYS });
  return {
    store,
    masterKey,
    payments,
    cardPayments: createCardPaymentService({ cards, customers, payments }),
    customerCards: createCustomerCardService({ cards, customers }),
    keyring,
    merchants,
    elementsDemo: createElementsDemo(deps, merchants),
    customers,
    cards,
    reveal: createRevealService(deps),
    sessions: createSessionService(deps),
    audit: createAuditService(deps),
    idempotency,
    replays: createReplayService({ ...deps, redis, idempotency }),
    keys: createKeyService({ ...deps, keyCacheTtlMs: config.keyCacheSeconds * 1000 }),
    master,
    keyCheck,
    migrated,
    now: deps.now,
    redis,
    changes,
    outbox: createOutboxService({
      db: store.db,
      now: deps.now,
      callbackPrivateAddresses: config.callbackPrivateAddresses,
    }),
    close: async () => {
      await changes.close();
      if (redis) redis.disconnect();
      await store.close();
    },
  };
}
