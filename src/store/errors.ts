/**
 * The one place that knows the drivers' error codes (better-sqlite3's SQLITE_*, PostgreSQL's SQLSTATEs,
 * pg's connection errors, Kysely's own messages): everything above the store asks classifyDbError what a
 * failure means instead of reading `err.code`.
 */

/**
 * - unavailable: the database cannot be reached now (down, restarting, busy, connection closed): a retry
 *   later may succeed (503);
 * - unique_violation: a unique or primary-key constraint refused the write;
 * - bad_text: a value the database cannot store as text (PostgreSQL refuses NUL and invalid UTF-8).
 */
export type DbErrorKind = 'unavailable' | 'unique_violation' | 'bad_text';

const BY_CODE: Readonly<Record<string, DbErrorKind>> = {
  // pg / Node sockets
  ECONNREFUSED: 'unavailable',
  ECONNRESET: 'unavailable',
  ETIMEDOUT: 'unavailable',
  EPIPE: 'unavailable',
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now; connection exceptions
  '57P01': 'unavailable',
  '57P02': 'unavailable',
  '57P03': 'unavailable',
  '08000': 'unavailable',
  '08003': 'unavailable',
  '08006': 'unavailable',
  // SQLite: another process holds the lock past busy_timeout
  SQLITE_BUSY: 'unavailable',
  // unique constraint
  '23505': 'unique_violation',
  SQLITE_CONSTRAINT_UNIQUE: 'unique_violation',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'unique_violation',
  // PostgreSQL: character_not_in_repertoire, untranslatable_character (NUL in text)
  '22021': 'bad_text',
  '22P05': 'bad_text',
};

/**
 * Failures that carry no code, recognised by message: pg's pool and connection messages. A store this
 * process closed itself (Kysely's "driver has already been destroyed", better-sqlite3's "The database
 * connection is not open") is not among them: that is a bug of this process, answered as a 500 (the gateways'
 * documents say so, test/gateways/twoc2p/openapi.test.ts), not a database to retry later.
 */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Cannot use a pool after calling end|terminating connection/;

/** What a thrown driver error means, or null when it is not one this module knows. */
export function classifyDbError(err: unknown): DbErrorKind | null {
  const e = err as { code?: unknown; message?: unknown } | null | undefined;
  if (typeof e?.code === 'string' && Object.hasOwn(BY_CODE, e.code)) return BY_CODE[e.code] as DbErrorKind;
  if (typeof e?.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return 'unavailable';
  return null;
}

/** True when err is a unique-constraint violation in either database. */
export const isUniqueViolation = (err: unknown): boolean => classifyDbError(err) === 'unique_violation';

/** True when the database cannot be reached now (a retry later may succeed). */
export const isDatabaseUnavailable = (err: unknown): boolean => classifyDbError(err) === 'unavailable';
