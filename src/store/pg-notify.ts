/**
 * A PostgreSQL notification channel (LISTEN/NOTIFY) for the vault's change notifications (vault/changes.ts):
 * `send` runs `pg_notify` through the pool; `start` holds one connection of its own that LISTENs, and reconnects
 * when it is lost (reporting itself unhealthy meanwhile, as notifications sent then are never delivered).
 * The channel is per database and schema, so deployments (and tests) sharing a server never hear each other.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './db.ts';

export function pgChannelName(schema: string | null): string {
  return schema ? `tokenvault_changes_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}` : 'tokenvault_changes';
}

export function pgNotifyChannel(opts: { url: string; schema: string | null; db: Db; retryMs?: number }) {
  const channel = pgChannelName(opts.schema);
  const retryMs = opts.retryMs ?? 500;
  let stopped = false;
  let client: import('pg').Client | null = null;
  let timer: NodeJS.Timeout | null = null;

  async function connect(receive: (message: string) => void, health: (healthy: boolean) => void): Promise<void> {
    const { default: pg } = await import('pg');
    // Named after its channel, so an operator (or a test) can tell the listening connection in pg_stat_activity.
    const c = new pg.Client({ connectionString: opts.url, connectionTimeoutMillis: 5000, application_name: channel });
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (client === c) client = null;
      c.end().catch(() => {});
      if (stopped) return;
      health(false);
      timer = setTimeout(() => {
        timer = null;
        connect(receive, health).catch(() => {});
      }, retryMs);
      timer.unref();
    };
    c.on('error', onLost);
    c.on('end', onLost);
    c.on('notification', (n) => {
      if (n.channel === channel && n.payload) receive(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch {
      onLost();
      return;
    }
    if (stopped) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
    health(true);
  }

  return {
    async send(message: string): Promise<void> {
      await sql`select pg_notify(${channel}, ${message})`.execute(opts.db);
    },
    async start(receive: (message: string) => void, health: (healthy: boolean) => void): Promise<void> {
      await connect(receive, health);
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
