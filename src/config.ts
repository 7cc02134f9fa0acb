/** Configuration: read once from the environment (and CLI flags) into a frozen, validated object. */
import { isIP } from 'node:net';
import path from 'node:path';
import { GATEWAYS } from './api/gateways/index.ts';
import type { GatewaySetting } from './api/gateways/kit/module.ts';

/** Files the server writes in the data directory (owner-only, 0600; the directory 0700). */
export const SQLITE_FILE = 'tokenvault.db';
export const DEV_MASTER_KEY_FILE = 'master.key';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** postgres://… selects PostgreSQL; unset means SQLite in dataDir. */
  readonly databaseUrl: string | null;
  /** PostgreSQL schema to use (tests give each app its own); null means the connection's default. */
  readonly databaseSchema: string | null;
  readonly masterKey: string | null;
  readonly masterKeyFile: string | null;
  readonly adminToken: string | null;
  readonly logLevel: string;
  /** `json` (default): every line the server writes is one JSON object; `pretty`: for a person at a terminal. */
  readonly logFormat: 'json' | 'pretty';
  readonly bodyLimit: number;
  readonly workers: number;
  /** How long unwrapped data keys are cached; a data-key rotation reaches every server within it. */
  readonly keyCacheSeconds: number;
  /** Each gateway's own settings (GatewayModule.settings), by gateway id and key. */
  readonly gateways: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** How long a CVV collected before the first payment is kept (encrypted) before it is wiped. */
  readonly cvvTtlSeconds: number;
  /** A processor call still running after this counts as unavailable (503, nothing recorded). */
  readonly processorTimeoutMs: number;
  /** How long a verified API key is trusted without reading it again (revocation in another process takes this long). */
  readonly authCacheSeconds: number;
  /** Requests per second each merchant may make (token bucket; 0 = no limit), and the bucket's size. */
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  /**
   * Failed authentications one client address may make per window naming one credential; past it, requests from
   * that address naming that credential are refused (429) before they are verified, until the window ends.
   */
  readonly authFailureLimit: number;
  readonly authFailureWindowSeconds: number;
  /** Failed authentications from one address (any credential or none) past which requests naming no credential get 429. */
  readonly authFailureAddressLimit: number;
  /** Failed authentications naming one credential (from any address) past which every address that failed on it is refused. */
  readonly authFailureCredentialLimit: number;
  /**
   * Whose address a request is from behind a proxy (Fastify's trustProxy): false (the socket's peer), true (the
   * first X-Forwarded-For entry: every hop trusted), or the proxies' addresses, CIDRs and proxy-addr's names
   * (loopback, linklocal, uniquelocal): the nearest hop not among them.
   */
  readonly trustProxy: boolean | readonly string[];
  /** A request not fully received and answered within this is cut off (408 / connection closed). */
  readonly requestTimeoutMs: number;
  /** The largest request head (request line and headers) accepted; larger ones get 431. */
  readonly maxHeaderBytes: number;
  /** After SIGTERM/SIGINT, how long requests in flight may take to finish before the process exits anyway. */
  readonly shutdownSeconds: number;
  /** PostgreSQL: connections each process keeps open at most. */
  readonly databasePoolSize: number;
  /**
   * redis:// or rediss://: rate limits, lockout counters and replay claims are kept there, shared by every
   * instance; null keeps limits per process and replay claims in the database.
   */
  readonly redisUrl: string | null;
  /** How often (ms) cached credentials, keys and merchants are dropped when no change notification can arrive. */
  readonly cacheFallbackMs: number;
  /**
   * Whether callbacks may go to loopback, private and link-local addresses (vault/egress.ts): false unless
   * TOKENVAULT_CALLBACK_PRIVATE_ADDRESSES=allow (local development and tests).
   */
  readonly callbackPrivateAddresses: boolean;
  /** Card tokens one publishable key may create per minute from one client address (0 = no limit). */
  readonly elementsRateLimitPerMinute: number;
  /**
   * Whether GET /elements/demo serves the card elements demo: true, false, or null for "in development only"
   * (while the master key is the generated development one).
   */
  readonly elementsDemo: boolean | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** One gateway's settings, each from its environment variable or its default. */
export function gatewaySettings(settings: readonly GatewaySetting[], env: NodeJS.ProcessEnv = {}): Record<string, number> {
  return Object.fromEntries(settings.map((s) => [s.key, int(s.env, env[s.env], s.default, s.min, s.max)]));
}

/** An optional true/false setting; null when unset. */
function flagOf(name: string, raw: string | undefined): boolean | null {
  if (raw === undefined || raw === '') return null;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`${name} must be true or false (unset: development only)`);
}

/**
 * TOKENVAULT_TRUST_PROXY: unset or `false`, `true`, or a comma-separated list of addresses and CIDRs. A hop count is
 * refused: Fastify 5 ignores one (it cannot tell the balancer from a client reaching the server directly, who could
 * then name any address in X-Forwarded-For), so accepting it would silently leave every client at the proxy's address.
 */
/** `allow` or `deny` (the default). */
function allowDeny(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'deny') return false;
  if (raw === 'allow') return true;
  throw new ConfigError(`${name} must be allow or deny`);
}

function redisUrlOf(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  if (!/^rediss?:\/\/[^\s]+$/.test(raw)) throw new ConfigError('TOKENVAULT_REDIS_URL must be a redis:// or rediss:// URL');
  return raw;
}

export function trustProxyOf(raw: string | undefined): boolean | readonly string[] {
  const name = 'TOKENVAULT_TRUST_PROXY';
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'false') return false;
  const text = raw.trim();
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) {
    throw new ConfigError(
      `${name} must name the proxies' addresses or CIDRs (e.g. 10.0.0.0/8), not a hop count: Fastify does not trust hop counts`,
    );
  }
  const entries = text.split(',').map((e) => e.trim());
  for (const entry of entries) {
    // proxy-addr's named ranges are accepted as Fastify accepts them.
    if (entry === 'loopback' || entry === 'linklocal' || entry === 'uniquelocal') continue;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new ConfigError(`${name} must be true, false or a comma-separated list of addresses and CIDRs; "${entry}" is none of these`);
    }
  }
  return Object.freeze(entries);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const databaseUrl = env.DATABASE_URL && env.DATABASE_URL !== '' ? env.DATABASE_URL : null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// (leave it unset for SQLite)');
  }
  const logLevel = env.LOG_LEVEL ?? 'info';
  const rateLimitPerSecond = int('TOKENVAULT_RATE_LIMIT_PER_SECOND', env.TOKENVAULT_RATE_LIMIT_PER_SECOND, 1000, 0, 10_000_000);
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const authFailureLimit = int('TOKENVAULT_AUTH_FAILURE_LIMIT', env.TOKENVAULT_AUTH_FAILURE_LIMIT, 10, 1, 10_000_000);
  const logFormat = env.LOG_FORMAT ?? 'json';
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new ConfigError('LOG_FORMAT must be json or pretty');
  const config: Config = {
    port: int('PORT', env.PORT, 8080, 0, 65535),
    host: env.HOST ?? '127.0.0.1',
    dataDir: path.resolve(env.TOKENVAULT_DATA_DIR ?? './data'),
    databaseUrl,
    databaseSchema: env.TOKENVAULT_DATABASE_SCHEMA ?? null,
    masterKey: env.TOKENVAULT_MASTER_KEY ?? null,
    masterKeyFile: env.TOKENVAULT_MASTER_KEY_FILE ?? null,
    adminToken: env.TOKENVAULT_ADMIN_TOKEN ?? null,
    logLevel,
    logFormat,
    bodyLimit: int('TOKENVAULT_BODY_LIMIT', env.TOKENVAULT_BODY_LIMIT, 1024 * 1024, 1024, 64 * 1024 * 1024),
    workers: int('TOKENVAULT_WORKERS', env.TOKENVAULT_WORKERS, 1, 1, 64),
    processorTimeoutMs: int('TOKENVAULT_PROCESSOR_TIMEOUT_MS', env.TOKENVAULT_PROCESSOR_TIMEOUT_MS, 10_000, 10, 120_000),
    cvvTtlSeconds: int('TOKENVAULT_CVV_TTL_SECONDS', env.TOKENVAULT_CVV_TTL_SECONDS, 3600, 1, 86400),
    keyCacheSeconds: int('TOKENVAULT_KEY_CACHE_SECONDS', env.TOKENVAULT_KEY_CACHE_SECONDS, 30, 0, 3600),
    gateways: Object.fromEntries(GATEWAYS.map((g) => [g.id, gatewaySettings(g.settings, env)])),
    authCacheSeconds: int('TOKENVAULT_AUTH_CACHE_SECONDS', env.TOKENVAULT_AUTH_CACHE_SECONDS, 5, 0, 300),
    rateLimitPerSecond,
    rateLimitBurst: int('TOKENVAULT_RATE_LIMIT_BURST', env.TOKENVAULT_RATE_LIMIT_BURST, Math.max(1, rateLimitPerSecond * 2), 1, 10_000_000),
    authFailureLimit,
    authFailureWindowSeconds: int('TOKENVAULT_AUTH_FAILURE_WINDOW_SECONDS', env.TOKENVAULT_AUTH_FAILURE_WINDOW_SECONDS, 60, 1, 86400),
    authFailureAddressLimit: int(
      'TOKENVAULT_AUTH_FAILURE_ADDRESS_LIMIT',
      env.TOKENVAULT_AUTH_FAILURE_ADDRESS_LIMIT,
      Math.min(authFailureLimit * 100, 1_000_000_000),
      authFailureLimit,
      1_000_000_000,
    ),
    authFailureCredentialLimit: int(
      'TOKENVAULT_AUTH_FAILURE_CREDENTIAL_LIMIT',
      env.TOKENVAULT_AUTH_FAILURE_CREDENTIAL_LIMIT,
      Math.min(authFailureLimit * 10, 1_000_000_000),
      authFailureLimit,
      1_000_000_000,
    ),
    trustProxy: trustProxyOf(env.TOKENVAULT_TRUST_PROXY),
    requestTimeoutMs: int('TOKENVAULT_REQUEST_TIMEOUT_MS', env.TOKENVAULT_REQUEST_TIMEOUT_MS, 30_000, 100, 600_000),
    maxHeaderBytes: int('TOKENVAULT_MAX_HEADER_BYTES', env.TOKENVAULT_MAX_HEADER_BYTES, 16 * 1024, 1024, 1024 * 1024),
    shutdownSeconds: int('TOKENVAULT_SHUTDOWN_SECONDS', env.TOKENVAULT_SHUTDOWN_SECONDS, 10, 1, 3600),
    databasePoolSize: int('TOKENVAULT_DATABASE_POOL_SIZE', env.TOKENVAULT_DATABASE_POOL_SIZE, 10, 1, 1000),
    redisUrl: redisUrlOf(env.TOKENVAULT_REDIS_URL),
    cacheFallbackMs: int('TOKENVAULT_CACHE_FALLBACK_MS', env.TOKENVAULT_CACHE_FALLBACK_MS, 5000, 100, 300_000),
    callbackPrivateAddresses: allowDeny('TOKENVAULT_CALLBACK_PRIVATE_ADDRESSES', env.TOKENVAULT_CALLBACK_PRIVATE_ADDRESSES),
    elementsRateLimitPerMinute: int(
      'TOKENVAULT_ELEMENTS_RATE_LIMIT_PER_MINUTE',
      env.TOKENVAULT_ELEMENTS_RATE_LIMIT_PER_MINUTE,
      60,
      0,
      10_000_000,
    ),
    elementsDemo: flagOf('TOKENVAULT_ELEMENTS_DEMO', env.TOKENVAULT_ELEMENTS_DEMO),
    ...overrides,
  };
  if (config.adminToken !== null && config.adminToken.length < 24) {
    throw new ConfigError('TOKENVAULT_ADMIN_TOKEN must be at least 24 characters');
  }
  if (config.databaseSchema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(config.databaseSchema)) {
    throw new ConfigError('TOKENVAULT_DATABASE_SCHEMA must be a lowercase SQL identifier');
  }
  return Object.freeze(config);
}
