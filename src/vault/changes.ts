/**
 * Change notifications: what one process changes that others may hold in a cache — an API key revoked, a
 * merchant created or deleted, a gateway credential's keys, data or master keys rotated. The process making the
 * change drops its own caches at once and tells every other process through a transport:
 * - PostgreSQL: `NOTIFY` on a channel of the database (and schema); every server `LISTEN`s on it, so a change
 *   made by any server or by the CLI reaches all of them in milliseconds;
 * - SQLite with `--workers N`: the worker tells the cluster primary, which tells every other worker;
 * - otherwise (one process) there is no one to tell.
 * A transport that may have missed notifications (its connection was lost) reports itself unhealthy: while it
 * is, every cache is dropped every `fallbackMs` (bounded staleness), and once more when it is healthy again.
 * Caches also keep their own TTLs (TOKENVAULT_AUTH_CACHE_SECONDS, TOKENVAULT_KEY_CACHE_SECONDS) as a last bound,
 * e.g. for a CLI change on SQLite, which no server hears.
 */

/** What changed, for whom: `merchantId` null means every merchant. */
export type Change =
  | { kind: 'merchant' | 'api-keys' | 'credentials' | 'keys'; merchantId: string | null }
  /** Anything may have changed (a transport recovering from an outage): drop every cache. */
  | { kind: 'all'; merchantId: null };

export type ChangeListener = (change: Change) => void;

/** How changes travel between processes, as text (the feed writes and parses it). */
export interface ChangeTransport {
  /** Sends to every other process (it may also come back to this one: listeners are idempotent). */
  send(message: string): Promise<void>;
  /** Starts receiving: `receive` for each message, `health` when the transport may have missed some or is back. */
  start(receive: (message: string) => void, health: (healthy: boolean) => void): Promise<void>;
  stop(): Promise<void>;
}

export interface ChangeFeed {
  /** After a change commits: drops this process's caches now and tells the others. Never throws. */
  publish(change: Change): Promise<void>;
  /** Registers a cache to drop on changes; returns the unsubscribe function. */
  on(listener: ChangeListener): () => void;
  /** Receives other processes' changes (servers; a CLI command only publishes). */
  listen(): Promise<void>;
  close(): Promise<void>;
}

const KINDS = new Set(['merchant', 'api-keys', 'credentials', 'keys', 'all']);

/** A change read off the wire, or null when it is not one (another program on the channel, a newer version). */
export function parseChange(text: string): Change | null {
  try {
    const v = JSON.parse(text) as { kind?: unknown; merchantId?: unknown };
    if (typeof v.kind !== 'string' || !KINDS.has(v.kind)) return null;
    if (v.kind === 'all') return { kind: 'all', merchantId: null };
    if (v.merchantId !== null && typeof v.merchantId !== 'string') return null;
    return { kind: v.kind as Exclude<Change['kind'], 'all'>, merchantId: v.merchantId };
  } catch {
    return null;
  }
}

export function createChangeFeed(opts: {
  transport?: ChangeTransport | null;
  fallbackMs?: number;
  onError?: (message: string) => void;
}): ChangeFeed {
  const listeners = new Set<ChangeListener>();
  const transport = opts.transport ?? null;
  const fallbackMs = opts.fallbackMs ?? 5000;
  let fallback: NodeJS.Timeout | null = null;

  const apply = (change: Change) => {
    for (const l of listeners) {
      try {
        l(change);
      } catch (e) {
        opts.onError?.(`a cache failed to drop a change: ${(e as Error).message}`);
      }
    }
  };
  const dropEverything = () => apply({ kind: 'all', merchantId: null });

  const health = (healthy: boolean) => {
    if (healthy) {
      if (fallback) clearInterval(fallback);
      fallback = null;
      // Whatever was sent while this process was not listening is unknown: start afresh.
      dropEverything();
      return;
    }
    if (fallback) return;
    dropEverything();
    fallback = setInterval(dropEverything, fallbackMs);
    fallback.unref();
  };

  return {
    async publish(change) {
      apply(change);
      if (!transport) return;
      try {
        await transport.send(JSON.stringify(change));
      } catch (e) {
        // The change itself is committed; the others fall back to their caches' bounds.
        opts.onError?.(`change notification not sent: ${(e as Error).message}`);
      }
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async listen() {
      if (!transport) return;
      await transport.start((message) => {
        const change = parseChange(message);
        if (change) apply(change);
      }, health);
    },
    async close() {
      if (fallback) clearInterval(fallback);
      fallback = null;
      await transport?.stop();
    },
  };
}
