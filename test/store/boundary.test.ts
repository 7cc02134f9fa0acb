/**
 * The store is the only place that knows SQL (DESIGN §2): no file outside src/store/ builds a query, and
 * SQL restates no domain rule (a status decided by a CASE would be a second home for the rule in domain/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '../../src');

/**
 * Files outside src/store/ allowed to build queries, each with its reason. Empty: every query is a named
 * store function the vault calls with the executor of its choosing.
 */
const ALLOWED: Readonly<Record<string, string>> = {};

const QUERY = /\.(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\s*\(|\bsql\s*(<[^`]*?>)?\s*`|from 'kysely'/;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

const rel = (f: string) => path.relative(SRC, f).split(path.sep).join('/');

describe('store boundary', () => {
  it('finds the sources it checks (the walk works)', () => {
    const files = sources(SRC).map(rel);
    expect(files).toContain('vault/cards.ts');
    expect(files).toContain('store/card-store.ts');
  });

  it('no file outside src/store/ builds a query or imports kysely', () => {
    const offenders = sources(SRC)
      .map(rel)
      .filter((f) => !f.startsWith('store/') && !(f in ALLOWED))
      .flatMap((f) =>
        fs
          .readFileSync(path.join(SRC, f), 'utf8')
          .split('\n')
          .flatMap((line, i) => (QUERY.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders).toEqual([]);
  });

  it('the check would catch a query (the pattern is not vacuous)', () => {
    for (const line of [
      "const r = await db.selectFrom('cards').selectAll();",
      "await tx.updateTable('payments')",
      'await sql`select 1`.execute(db);',
      'sql<{ n: number }>`select count(*) as n`',
      "import { sql } from 'kysely';",
    ])
      expect(QUERY.test(line)).toBe(true);
    expect(QUERY.test('await cardStore.getCard(db, merchantId, token);')).toBe(false);
  });

  it('no store query decides a status with CASE (status rules live in domain/)', () => {
    const offenders = sources(path.join(SRC, 'store'))
      .map(rel)
      .filter((f) => !f.startsWith('store/migrations/') && /\bcase\s+when\b/i.test(fs.readFileSync(path.join(SRC, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
