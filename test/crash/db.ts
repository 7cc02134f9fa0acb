/**
 * Direct, read-only looks at the vault's database: what requests left behind (rows the APIs cannot be
 * searched by), and the integrity checks after the final stop.
 */
import SQLite from 'better-sqlite3';
import pg from 'pg';

export interface Db {
  kind: 'sqlite' | 'postgres';
  /** `?` placeholders in both databases. */
  all<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function openSqliteDb(file: string, opts: { readonly: boolean }): Db {
  const db = new SQLite(file, { readonly: opts.readonly, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  return {
    kind: 'sqlite',
    async all<T>(text: string, params: unknown[] = []) {
      const stmt = db.prepare(text);
      if (stmt.reader) return stmt.all(...params) as T[];
      stmt.run(...params);
      return [];
    },
    async close() {
      db.close();
    },
  };
}

export async function openPgDb(url: string): Promise<Db> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  client.on('error', () => {});
  return {
    kind: 'postgres',
    async all<T>(text: string, params: unknown[] = []) {
      let i = 0;
      const res = await client.query(
        text.replace(/\?/g, () => `$${++i}`),
        params,
      );
      return res.rows as T[];
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
}

/** Rows that point at nothing, or chains whose head disagrees with their last event. Each query returns offending rows. */
export const ORPHAN_QUERIES: Record<string, string> = {
  'cards without their instrument identifier':
    'select c.id from cards c left join instrument_identifiers i on i.id = c.instrument_id where i.id is null',
  'cards naming a missing customer':
    'select c.id from cards c left join customers u on u.id = c.customer_id where c.customer_id is not null and u.id is null',
  'customers whose default card is missing':
    'select u.id from customers u left join cards c on c.id = u.default_card_id where u.default_card_id is not null and c.id is null',
  'addresses of a missing customer': 'select a.id from addresses a left join customers u on u.id = a.customer_id where u.id is null',
  'payments of a missing card': 'select p.id from payments p left join cards c on c.id = p.card_id where c.id is null',
  'payments without any event': 'select p.id from payments p where not exists (select 1 from payment_events e where e.payment_id = p.id)',
  'payment events of a missing payment': 'select e.id from payment_events e left join payments p on p.id = e.payment_id where p.id is null',
  'held CVVs of a missing card': 'select s.card_id from card_secrets s left join cards c on c.id = s.card_id where c.id is null',
  'audit heads that are not their chain’s last event':
    'select h.chain from audit_heads h where h.seq <> (select max(e.seq) from audit_events e where e.chain = h.chain) ' +
    'or h.hash <> (select e.hash from audit_events e where e.chain = h.chain and e.seq = h.seq)',
  'audit events beyond their chain’s head':
    'select e.chain, e.seq from audit_events e join audit_heads h on h.chain = e.chain where e.seq > h.seq',
};

export async function orphanReport(db: Db): Promise<string[]> {
  const out: string[] = [];
  for (const [what, text] of Object.entries(ORPHAN_QUERIES)) {
    const rows = await db.all(text);
    if (rows.length) out.push(`${what}: ${rows.length} (e.g. ${JSON.stringify(rows.slice(0, 3))})`);
  }
  return out;
}
