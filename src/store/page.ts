/** Cursor pagination over (created_at, id): stable under inserts, no OFFSET scans. */
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
