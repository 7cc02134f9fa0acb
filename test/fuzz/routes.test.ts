/**
 * The fuzz corpus covers every route the server serves: the route list comes from the server itself, so
 * a route added without a fuzz generator fails here. Also checks the per-run case budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/harness.ts';
import { ROUTES } from './corpus.ts';
import { makeFuzzApp, QUOTA, serverRoutes } from './support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await makeFuzzApp();
});
afterAll(() => t.close());

describe('fuzz corpus', () => {
  it('names exactly the routes the server serves', () => {
    const served = serverRoutes(t.app);
    const covered = Object.values(ROUTES).flat().sort();
    // Read from the server, not from a list: a sanity floor on the parse.
    expect(served.length).toBeGreaterThan(100);
    expect(
      served.filter((r) => !covered.includes(r)),
      'routes the fuzz corpus does not cover',
    ).toEqual([]);
    expect(
      covered.filter((r) => !served.includes(r)),
      'corpus routes the server no longer serves',
    ).toEqual([]);
  });

  it('gives each route to exactly one API', () => {
    const all = Object.values(ROUTES).flat();
    expect(all.length).toBe(new Set(all).size);
  });

  it('runs at least 10,000 cases per run across the files', () => {
    expect(Object.values(QUOTA).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000);
  });
});
