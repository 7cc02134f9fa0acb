/** Cursor pagination over (created_at, id): stable under inserts, no OFFSET scans. */
import { type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';

export interface Cursor {
  readonly createdAt: string;
  readonly id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.createdAt}|${c.id}`, 'utf8').toString('base64url');
}

/** Returns null for anything that is not a cursor this server made. */
export function decodeCursor(text: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return null;
  const raw = Buffer.from(text, 'base64url').toString('utf8');
  const bar = raw.indexOf('|');
  if (bar < 0) return null;
  const createdAt = raw.slice(0, bar);
  const id = raw.slice(bar + 1);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(createdAt) || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
  return { createdAt, id };
}

/** Rows strictly after the cursor, as a row-value comparison both SQLite and PostgreSQL serve from the index. */
export function afterCursor(createdAtColumn: string, idColumn: string, after: Cursor): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(createdAtColumn)}, ${sql.ref(idColumn)}) > (${after.createdAt}, ${after.id})`;
}

/** One page of a list in (created_at, id) order: the order, the limit and the cursor, written once for every list. */
export function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  opts: { after: Cursor | null; limit: number },
): SelectQueryBuilder<DB, TB, O> {
  const page = query.orderBy(sql.ref('created_at')).orderBy(sql.ref('id')).limit(opts.limit);
  return opts.after ? page.where(afterCursor('created_at', 'id', opts.after)) : page;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Turns `limit + 1` fetched rows into a page: the extra row only says whether another page exists. */
export function toPage<R extends { created_at: string; id: string }, V>(rows: R[], limit: number, map: (r: R) => V): Page<V> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(map),
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
  };
}
