/**
 * Shared machinery of the property-based fuzz suite (test/fuzz): run settings, the route inventory read
 * from the server, hostile-value arbitraries, a JSON mutation engine, the per-API response oracles, the
 * "nothing written by a refused request" database fingerprint and the memory check.
 */

import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { backend, makeTestApp, type TestApp } from '../helpers/harness.ts';
import { ROUTES } from './corpus.ts';

// ---------------------------------------------------------------------------------------------------
// Run settings

/** FUZZ_SEED replays a run (fast-check prints the seed of a failure); FUZZ_SCALE multiplies every run count. */
export const SEED = process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== '' ? Number(process.env.FUZZ_SEED) : undefined;
const SCALE = process.env.FUZZ_SCALE ? Math.max(0.01, Number(process.env.FUZZ_SCALE)) : 1;

export const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE));

/**
 * fast-check settings for one property. A failure is shrunk, which re-sends requests (and may rebuild
 * fixtures): the time cap keeps a failing run bounded, reporting the smallest counterexample found by then.
 * A run cut short without a failure runs fewer cases: each file's quota check catches that.
 */
export function fcParams<T>(numRuns: number): fc.Parameters<[T]> {
  return { numRuns: scaled(numRuns), interruptAfterTimeLimit: 10_000, ...(SEED !== undefined ? { seed: SEED } : {}) };
}

/**
 * Runs an async property to its end. A property cut short by its time limit (fcParams) leaves its last case
 * running; that case's writes would show in the next property's first case as the writes of a refusal, so the
 * property is over only once its last case is.
 */
export async function assertAsync<T>(
  arbitrary: fc.Arbitrary<T>,
  check: (c: T) => Promise<void>,
  params: fc.Parameters<[T]>,
): Promise<void> {
  let inFlight: Promise<void> = Promise.resolve();
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, (c: T) => {
        inFlight = check(c);
        return inFlight;
      }),
      params,
    );
  } finally {
    await inFlight.catch(() => undefined);
  }
}

/**
 * Replays, on every run, the cases that once found a bug, exactly as recorded (they are already small):
 * the random runs may or may not meet them again, these always do, so a fixed bug stays fixed.
 */
export function describeKnown<T>(
  known: Record<string, T[]>,
  check: (route: string) => (c: T) => Promise<void>,
  runner: () => CaseRunner,
): void {
  describe('cases that found bugs', () => {
    for (const [route, cases] of Object.entries(known)) {
      it(route, async () => {
        for (const c of cases) await check(route)(c);
        expect(runner().takeViolations()).toEqual([]);
      }, 120_000);
    }
  });
}

/**
 * One API's fuzz suite: a generator check (with `specOf`), both layers on every route of the API, `known`
 * (the cases that found bugs), then the check that the file ran its quota of cases with memory stable.
 */
export function describeApiFuzz(o: {
  title: string;
  api: Api;
  garbage: (route: string) => Promise<void>;
  authenticated: (route: string) => Promise<void>;
  runner: () => CaseRunner;
  stats: Stats;
  heapAtStart: () => number;
  /** The file's case generator per route: a route without one fails (a new route must be fuzzed). */
  specOf?: (route: string) => unknown;
  known?: () => void;
}): void {
  describe(o.title, () => {
    const specOf = o.specOf;
    if (specOf) {
      it('has a generator for every route', () => {
        for (const route of ROUTES[o.api]) expect(() => specOf(route), route).not.toThrow();
      });
    }
    for (const [layer, run] of [
      ['garbage layer', o.garbage],
      ['authenticated layer', o.authenticated],
    ] as const) {
      describe(layer, () => {
        for (const route of ROUTES[o.api])
          it(route, async () => {
            await run(route);
            expect(o.runner().takeViolations()).toEqual([]);
          }, 120_000);
      });
    }
    o.known?.();
    it('ran its share of cases on every route, with memory stable', () => {
      const grown = heapMb() - o.heapAtStart();
      console.log(summary(o.stats, grown));
      expect(o.stats.routes.size).toBe(ROUTES[o.api].length);
      expect(o.stats.cases).toBeGreaterThanOrEqual(QUOTA[o.api]);
      expect(grown).toBeLessThan(HEAP_GROWTH_LIMIT_MB);
    });
  });
}

/**
 * Minimum cases each file must run per `npm test`, a little under what its properties plan (the sum is
 * asserted to be at least 10,000 in routes.test.ts).
 */
export const QUOTA = {
  native: 3300,
  twoc2p: 1150,
  opay: 1450,
  alliancepay: 900,
  appotapay: 1450,
  cybersource: 2000,
} as const;
export type Api = keyof typeof QUOTA;

/** A smaller body limit keeps the oversized-body cases cheap (the default is 1 MiB), yet lets a deeply nested
 * payload through two layers of base64 (JWE in JWS). */
export const BODY_LIMIT = 262_144;

export function makeFuzzApp(): Promise<TestApp> {
  return makeTestApp({ env: { TOKENVAULT_BODY_LIMIT: String(BODY_LIMIT), TOKENVAULT_PROCESSOR_TIMEOUT_MS: '2000' } });
}

// ---------------------------------------------------------------------------------------------------
// Routes, as the server itself lists them

/** Every "METHOD /pattern" the app serves, parsed from printRoutes (a tree of path pieces). */
export function serverRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    if (line.trim() === '') continue;
    const m = /^([│├└─\s]*)(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) throw new Error(`unparsed route line: ${line}`);
    const depth = (m[1] as string).length / 4 - 1;
    const full = (depth > 0 ? (stack[depth - 1] ?? '') : '') + (m[2] as string);
    stack.length = depth;
    stack[depth] = full;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) if (method) out.push(`${method} ${full}`);
  }
  return [...new Set(out)].sort();
}

// ---------------------------------------------------------------------------------------------------
// Statistics

export interface Stats {
  api: Api;
  cases: number;
  accepted: number;
  refused: number;
  documentedWrites: number;
  byStatus: Map<number, number>;
  routes: Set<string>;
}

export const newStats = (api: Api): Stats => ({
  api,
  cases: 0,
  accepted: 0,
  refused: 0,
  documentedWrites: 0,
  byStatus: new Map(),
  routes: new Set(),
});

export function summary(s: Stats, heapGrowthMb: number): string {
  const statuses = [...s.byStatus.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
  const fiveXx = [...s.byStatus.entries()].filter(([k]) => k >= 500).reduce((n, [, v]) => n + v, 0);
  return (
    `fuzz[${s.api}/${backend}]: ${s.cases} cases, ${fiveXx} 5xx, ${s.accepted} accepted, ${s.refused} refused` +
    ` (${s.documentedWrites} documented writes), ${s.routes.size} routes, heap ${heapGrowthMb >= 0 ? '+' : ''}${heapGrowthMb.toFixed(1)} MB [${statuses}]`
  );
}

// ---------------------------------------------------------------------------------------------------
// Memory

let gcFn: (() => void) | null = null;
/** A real full GC (the flag can be set at run time; the function is then reachable in a fresh context). */
export function fullGc(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

export function heapMb(): number {
  fullGc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/**
 * The bound on heap growth between the end of the warm-up and the end of the run, after full GCs. What may
 * legitimately grow: each test app keeps every log line in memory (about 0.5 KB a request), caches of
 * imported keys and JWT ids, and the rows the accepted cases made. 48 MB is far above that and far below
 * what a leak per request (a retained body, socket or closure) would add over thousands of requests.
 */
export const HEAP_GROWTH_LIMIT_MB = 48;

// ---------------------------------------------------------------------------------------------------
// Hostile values

/** A JSON fragment written verbatim (numbers JSON.stringify cannot make, deep nesting, broken syntax). */
export class Raw {
  constructor(readonly text: string) {}
}
/** An object whose entries may repeat a key. */
export class Entries {
  constructor(readonly entries: [string, unknown][]) {}
}

/** Nesting past what JSON.stringify and other recursive code survive (about 5,000 levels). */
export const DEEP = new Raw(`${'['.repeat(6000)}${']'.repeat(6000)}`);

/** JSON text of a value that may hold Raw and Entries; undefined members are left out, as JSON.stringify does. */
export function toJson(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (v instanceof Entries) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : toJson(x))).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v)) if (x !== undefined) parts.push(`${JSON.stringify(k)}:${toJson(x)}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const control = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
const special = fc.constantFrom(
  '\u0000',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\u2028',
  '\u00a0',
  '💳',
  '👨‍👩‍👧',
  '🏳️‍🌈',
  'ﷺ',
  'é',
  'é',
  'ß',
  'İ',
  'مرحبا',
  'עברית',
  '中文',
  '\\',
  '"',
  "'",
  '%',
  '/',
  '<',
  '{',
  '\n',
  '\r\n',
  '\t',
);

/** Strings that break naive code: unicode of every kind, NUL and controls, lone surrogates, lengths at limits. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.string({ unit: fc.oneof(fc.string({ minLength: 1, maxLength: 1 }), special, loneSurrogate, control), maxLength: 40 }),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          0,
          1,
          2,
          3,
          4,
          5,
          12,
          13,
          15,
          16,
          19,
          20,
          21,
          32,
          33,
          36,
          37,
          40,
          41,
          50,
          51,
          60,
          61,
          64,
          65,
          100,
          101,
          128,
          200,
          201,
          254,
          255,
          256,
          500,
          501,
          1000,
          1001,
          4096,
          4097,
          10_001,
          20_001,
        ),
        fc.constantFrom('a', '9', 'é', '💳', 'A1', ' ', '\u0000', 'x-'),
      )
      .map(([n, c]) => c.repeat(Math.ceil(n / c.length)).slice(0, Math.max(n, 0))),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'null',
      'undefined',
      'true',
      'NaN',
      'Infinity',
      '-Infinity',
      '-0',
      '0x10',
      '1e308',
      '1e309',
      '18446744073709551616',
      '9007199254740993',
      '-1',
      '0',
      '00',
      '1.5',
      '__proto__',
      'constructor',
      'prototype',
      '<script>alert(1)</script>',
      "' OR 1=1 --",
      '%00',
      '%s%s%n',
      '../../etc/passwd',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as text
      '${jndi:ldap://x}',
      '{{7*7}}',
      'a\u0000b',
      '\ud800',
      '\udfff',
      'x\ud83d',
      '4111111111111111',
      '4111 1111 1111 1111',
      '4111-1111-1111-1111',
      '41111111111111111111',
      '2000-02-30',
      '9999-12-31',
      '0000-00-00',
      '2020-13-01T25:61:61Z',
    ),
  },
);

/** Number tokens, some only writable as raw JSON (1e999 overflows to Infinity, -0, 2^64, long fractions). */
export const nastyNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    -0.5,
    1e308,
    -1e308,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 63,
    2 ** 64,
    1e21,
    5e-324,
    12,
    13,
    99,
    2099,
    100_000_000_000_000,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc
    .constantFrom(
      '1e999',
      '-1e999',
      '-0',
      '18446744073709551616',
      '123456789012345678901234567890',
      '0.000000000000000000001',
      '1E2',
      '1.0',
      '-0.0',
      '1e-999',
    )
    .map((t) => new Raw(t)),
);

/** Nesting deep enough to overflow recursive code (JSON.stringify gives up near 5,000 levels). */
export const deepNesting: fc.Arbitrary<Raw> = fc
  .tuple(fc.constantFrom(10, 100, 1000, 3000, 6000, 9000), fc.constantFrom('array', 'object'))
  .map(([n, kind]) => (kind === 'array' ? new Raw(`${'['.repeat(n)}${']'.repeat(n)}`) : new Raw(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`)));

const nastyKey = fc.oneof(
  nastyString,
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'a.b', '$ref', 'id', 'token'),
);

export const nastyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { weight: 5, arbitrary: nastyString },
    { weight: 3, arbitrary: nastyNumber },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: deepNesting },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(nastyKey, tie('value'), { maxKeys: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom([], {}, [null], [''], { '': '' }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2000 }).map((n) => Array.from({ length: n }, (_, i) => i)) },
  ),
})).value;

// ---------------------------------------------------------------------------------------------------
// Mutating a valid JSON body

export type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'set'; at: number; value: unknown }
  | { op: 'add'; at: number; key: string; value: unknown }
  | { op: 'dup'; at: number; value: unknown }
  | { op: 'wrap'; at: number; how: 'array' | 'object' | 'string' };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('drop' as const), at: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: nastyValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: nastyKey, value: nastyValue }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dup' as const), at: fc.nat(), value: nastyValue }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('wrap' as const),
      at: fc.nat(),
      how: fc.constantFrom('array' as const, 'object' as const, 'string' as const),
    }),
  },
);
export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 3 });

type Path = (string | number)[];

function paths(v: unknown, base: Path = [], out: Path[] = []): Path[] {
  out.push(base);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) paths(v[i], [...base, i], out);
  } else if (v !== null && typeof v === 'object' && !(v instanceof Raw) && !(v instanceof Entries)) {
    for (const [k, x] of Object.entries(v)) paths(x, [...base, k], out);
  }
  return out;
}

/** A deep copy that keeps Raw and Entries (immutable) as they are: mutations never touch fast-check's values. */
function clone(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || v instanceof Raw || v instanceof Entries) return v;
  if (Array.isArray(v)) return v.map(clone);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v))
    Object.defineProperty(out, k, { value: clone(x), enumerable: true, writable: true, configurable: true });
  return out;
}

function getAt(root: unknown, p: Path): unknown {
  let v = root;
  for (const k of p) v = (v as Record<string | number, unknown>)[k];
  return v;
}

/** Applies mutations to a copy of a valid body; a path index is taken modulo the paths the body has then. */
export function mutate(body: unknown, muts: readonly Mutation[]): unknown {
  let root: unknown = clone(body);
  for (const m of muts) {
    const all = paths(root);
    const p = all[m.at % all.length] as Path;
    const parent = p.length > 0 ? (getAt(root, p.slice(0, -1)) as Record<string | number, unknown>) : null;
    const key = p[p.length - 1] as string | number;
    const target = getAt(root, p);
    const replace = (value: unknown) => {
      if (parent === null) root = value;
      else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
    };
    switch (m.op) {
      case 'drop':
        if (parent === null) root = undefined;
        else if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        break;
      case 'set':
        replace(clone(m.value));
        break;
      case 'add':
        if (
          target !== null &&
          typeof target === 'object' &&
          !Array.isArray(target) &&
          !(target instanceof Raw) &&
          !(target instanceof Entries)
        ) {
          Object.defineProperty(target, m.key, { value: clone(m.value), enumerable: true, writable: true, configurable: true });
        } else if (Array.isArray(target)) target.push(clone(m.value));
        else {
          const o = {};
          Object.defineProperty(o, m.key, { value: clone(m.value), enumerable: true, writable: true, configurable: true });
          replace(o);
        }
        break;
      case 'dup':
        if (
          target !== null &&
          typeof target === 'object' &&
          !Array.isArray(target) &&
          !(target instanceof Raw) &&
          !(target instanceof Entries)
        ) {
          const entries = Object.entries(target as Record<string, unknown>);
          const first = entries[0];
          replace(
            new Entries(
              first
                ? [...entries, [first[0], clone(m.value)]]
                : [
                    ['a', 1],
                    ['a', clone(m.value)],
                  ],
            ),
          );
        } else replace(clone(m.value));
        break;
      case 'wrap':
        replace(m.how === 'array' ? [target] : m.how === 'object' ? { value: target } : toJson(target ?? null));
        break;
    }
  }
  return root;
}

// ---------------------------------------------------------------------------------------------------
// Garbage bodies, tokens and headers

/** Bodies that are not what any route wants: broken JSON, binary, the wrong encoding, truncations. */
export const garbageBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '[',
    '{"a":',
    '{"a":1,}',
    "{'a':1}",
    '{"a":1}{"b":2}',
    'null',
    'true',
    '0',
    '-0',
    '1e999',
    '"string"',
    '[]',
    '[1,2,3]',
    '{}',
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
    '{"a":"\\x41"}',
    '{"a":NaN}',
    '{"a":Infinity}',
    '{"a":01}',
    '\ufeff{}',
    '{"a":1}\u0000',
    'a=1&b=2',
    '<xml/>',
    '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
    'eyJhbGciOiJub25lIn0.e30.',
    '....',
    '.',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.constantFrom(
    Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
    Buffer.from([0xc3, 0x28]),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from('{"a":"\xe9"}', 'latin1'),
  ),
  fc.tuple(fc.string({ maxLength: 40 }), fc.nat()).map(([s, n]) => {
    const text = toJson({ a: s, b: [1, 2, { c: s }] });
    return text.slice(0, n % (text.length + 1));
  }),
  nastyValue.map((v) => toJson(v)),
);

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** Corruptions of a compact JWS / JWE / JWT: truncated, a part flipped, dropped, swapped, re-headed, padded, oversized. */
export type TokenCorruption =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; part: number; at: number }
  | { kind: 'drop'; part: number }
  | { kind: 'extra'; text: string }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'header'; header: string }
  | { kind: 'part'; part: number; text: string }
  | { kind: 'whitespace'; at: number; ws: string }
  | { kind: 'huge'; part: number; size: number }
  | { kind: 'base64'; part: number }
  | { kind: 'empty'; dots: number };

export const tokenCorruption: fc.Arbitrary<TokenCorruption> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), part: fc.nat(4), at: fc.nat() }),
  fc.record({ kind: fc.constant('drop' as const), part: fc.nat(4) }),
  fc.record({ kind: fc.constant('extra' as const), text: fc.constantFrom('', 'AAAA', '.', 'eyJ9') }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(4), b: fc.nat(4) }),
  fc.record({
    kind: fc.constant('header' as const),
    header: fc.oneof(
      fc.constantFrom(
        '{"alg":"none"}',
        '{"alg":"PS256","crit":["exp"]}',
        '{"alg":"HS256"}',
        '{"alg":"RS256"}',
        '{"alg":"PS256","b64":false,"crit":["b64"]}',
        '{"alg":"RSA-OAEP","enc":"A256GCM","zip":"DEF"}',
        '{"alg":"RSA-OAEP","enc":"A128CBC-HS256"}',
        '{"alg":"dir","enc":"A256GCM"}',
        '{"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":{"kty":"EC","crv":"P-384","x":"AAAA","y":"AAAA"}}',
        '{"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":{"kty":"EC","crv":"P-256","x":"WKn-ZIGevcwGIyyrzFoZNBdaq9_TsqzGl96oc0CWuis","y":"y77t-RvAHRKTsSGdIYUfweuOvwrvDD-Q3Hv5J0fSKbE"}}',
        '{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":100000000,"p2s":"AAAAAAAAAAAAAAAAAAAAAA"}',
        '{"alg":1}',
        '{"alg":null}',
        '{}',
        '[]',
        'null',
        '"PS256"',
        '{"alg":"PS256"',
        '{"alg":"PS256","kid":"../../../etc/passwd"}',
        '{"alg":"HS256","typ":"JWT","cty":"appotapay-api;v=1"}',
        '{"alg":"RS256","x5c":["AAAA"]}',
        '{"alg":"RS256","jku":"http://127.0.0.1/"}',
      ),
      nastyValue.map((v) => toJson({ alg: v })),
    ),
  }),
  fc.record({
    kind: fc.constant('part' as const),
    part: fc.nat(4),
    text: fc.oneof(
      nastyString,
      nastyValue.map((v) => b64url(toJson(v))),
    ),
  }),
  fc.record({ kind: fc.constant('whitespace' as const), at: fc.nat(), ws: fc.constantFrom(' ', '\n', '\t', '\r\n', '\u00a0') }),
  // Tokens also travel in headers, which a real server caps near 16 KB (Node's default max header size).
  fc.record({ kind: fc.constant('huge' as const), part: fc.nat(4), size: fc.constantFrom(2_000, 8_000) }),
  fc.record({ kind: fc.constant('base64' as const), part: fc.nat(4) }),
  fc.record({ kind: fc.constant('empty' as const), dots: fc.nat(5) }),
);

export function corrupt(token: string, c: TokenCorruption): string {
  const parts = token.split('.');
  const idx = (n: number) => n % parts.length;
  switch (c.kind) {
    case 'truncate':
      return token.slice(0, c.at % (token.length + 1));
    case 'flip': {
      const i = idx(c.part);
      const p = parts[i] as string;
      if (p.length === 0) parts[i] = 'A';
      else {
        const at = c.at % p.length;
        parts[i] = p.slice(0, at) + (p[at] === 'A' ? 'B' : 'A') + p.slice(at + 1);
      }
      return parts.join('.');
    }
    case 'drop':
      parts.splice(idx(c.part), 1);
      return parts.join('.');
    case 'extra':
      return `${token}.${c.text}`;
    case 'swap': {
      const a = idx(c.a);
      const b = idx(c.b);
      [parts[a], parts[b]] = [parts[b] as string, parts[a] as string];
      return parts.join('.');
    }
    case 'header':
      parts[0] = b64url(c.header);
      return parts.join('.');
    case 'part':
      parts[idx(c.part)] = c.text;
      return parts.join('.');
    case 'whitespace': {
      const at = c.at % (token.length + 1);
      return token.slice(0, at) + c.ws + token.slice(at);
    }
    case 'huge':
      parts[idx(c.part)] = 'A'.repeat(c.size);
      return parts.join('.');
    case 'base64':
      // Standard base64 with padding where base64url is due.
      parts[idx(c.part)] = Buffer.from(parts[idx(c.part)] as string, 'base64url').toString('base64');
      return parts.join('.');
    case 'empty':
      return '.'.repeat(c.dots);
  }
}

/** Content types, right and wrong (charsets, parameters, case, lists, nonsense). */
export const contentType: fc.Arbitrary<string | undefined> = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset="utf-8"; foo=bar',
  'application/json, text/plain',
  'application/problem+json',
  'application/vnd.api+json',
  'application/jose',
  'application/jose+json',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/html',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '*/*',
  'json',
  ';',
  '',
  'a'.repeat(2000),
);

const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength: 40,
  }),
  fc.constantFrom(
    '',
    ' ',
    'Bearer',
    'Bearer ',
    'Bearer  x',
    'bearer tv_sk_',
    'Basic dXNlcjpwYXNz',
    'null',
    '"3"',
    'W/"3"',
    '*',
    '-1',
    '99999999999',
    'en',
    'vi',
    'fr',
  ),
  // Long, but within the ~16 KB of headers a real server accepts.
  fc.constantFrom(2_000, 8_000).map((n) => 'A'.repeat(n)),
);

/** Header names the gateways read, plus ordinary ones; values hostile but sendable over HTTP. */
const HEADER_NAMES = [
  'authorization',
  'if-match',
  'idempotency-key',
  'accept',
  'accept-language',
  'merchantid',
  'x-appotapay-auth',
  'x-request-id',
  'x-account-ref-id',
  'language',
  'x-request_id',
  'x-device_id',
  'x-refresh_token',
  'x-api_version',
  'v-c-merchant-id',
  'signature',
  'digest',
  'date',
  'host',
  'x-forwarded-for',
  'x-http-method-override',
  'transfer-encoding',
  'content-encoding',
  'cookie',
  'x-custom',
];

export const garbageHeaders: fc.Arbitrary<Record<string, string>> = fc
  .array(fc.tuple(fc.constantFrom(...HEADER_NAMES), headerValue), { maxLength: 5 })
  .map((pairs) => {
    const out: Record<string, string> = {};
    for (const [k, v] of pairs) {
      // inject would refuse to send these; a real peer's server would refuse them before any route.
      if (k === 'transfer-encoding' || k === 'host') continue;
      out[k] = v;
    }
    return out;
  });

/** Text for a path parameter or query value: usually ASCII-ish, sometimes hostile, always URL-encoded when sent. */
export const pathText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'x',
    '0',
    '-1',
    'null',
    '...',
    '%',
    '%2F',
    'a b',
    'ü',
    '💳',
    '\u0000',
    'a'.repeat(65),
    'a'.repeat(300),
    '4111111111111111',
    'tok_',
    'cus_',
  ),
  // '.' and '..' would be resolved away by URL parsing and reach another route.
  nastyString.filter((s) => s.length > 0 && s.isWellFormed() && s !== '.' && s !== '..'),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/),
);

// ---------------------------------------------------------------------------------------------------
// Oracles

export interface Sent {
  method: string;
  url: string;
  /** Card numbers and CVVs sent in card fields: none may come back. */
  secrets?: string[];
  /** The method is not one the route serves: the router's own answer (native problem+json) is expected. */
  unrouted?: boolean;
}

/** The router's answer for a request no route serves: problem+json 404 "no such route". */
function routerNotFound(res: LightMyRequestResponse): boolean {
  if (res.statusCode !== 404 || !String(res.headers['content-type'] ?? '').startsWith('application/problem+json')) return false;
  const b = jsonOf(res) as { code?: unknown; detail?: unknown } | undefined;
  return b?.code === 'not_found' && b.detail === 'no such route';
}

export interface Outcome {
  refused: boolean;
  /** A refusal the API documents as writing (e.g. a kept declined charge): the nothing-written check is skipped. */
  documentedWrite?: boolean;
}

/** String values of the named fields, at any depth: the card data a request carried in card fields. */
/**
 * The card numbers and CVVs sent in card fields (`keys`), for the "none may come back" oracle. A value the
 * request also carries in another field, whole or inside a longer text (a merchant's own reference that
 * happens to hold the card number), is the client's data there and may be echoed as such; holder names, where a card number would be
 * stored in clear, are refused by the server and tested apart (test/api/native/free-text-pan.test.ts).
 */
export function secretsIn(v: unknown, keys: string[]): string[] {
  const secrets: string[] = [];
  const others = new Set<string>();
  collectStrings(v, keys, secrets, others, 0);
  const elsewhere = [...others];
  return secrets.filter((x) => !elsewhere.some((o) => o.includes(x)));
}

function collectStrings(v: unknown, keys: string[], secrets: string[], others: Set<string>, depth: number): void {
  if (depth > 50 || v === null || typeof v !== 'object' || v instanceof Raw) return;
  const entries: [string, unknown][] = v instanceof Entries ? v.entries : Object.entries(v);
  for (const [k, x] of entries) {
    if (typeof x === 'string') {
      if (keys.includes(k)) secrets.push(x);
      else others.add(x);
    }
    collectStrings(x, keys, secrets, others, depth + 1);
  }
}

/**
 * A response in the wrong shape for its API. Unlike a 5xx, a leak or a write (thrown at once, shrunk by
 * fast-check), these are collected so one common cause does not hide everything else a route's run finds.
 */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

const STACK = /\n\s+at \S|\bat (?:async )?\S+ \((?:file:|\/|node:)|node_modules|\/work\/main|\.ts:\d+:\d+|\.js:\d+:\d+/;

export function describeCase(sent: Sent, res: LightMyRequestResponse): string {
  return `${sent.method} ${sent.url.slice(0, 300)} → ${res.statusCode} ${String(res.headers['content-type'] ?? '')} ${res.body.slice(0, 400)}`;
}

/** Checks every API shares: no 5xx, no stack trace, no secret echoed. */
export function checkCommon(sent: Sent, res: LightMyRequestResponse, decrypted: string[] = []): void {
  const where = describeCase(sent, res);
  if (res.statusCode >= 500) throw new Error(`5xx: ${where}`);
  if (res.statusCode < 200) throw new Error(`unexpected status: ${where}`);
  for (const text of [res.body, ...decrypted]) {
    if (STACK.test(text)) throw new Error(`stack trace or path in the body: ${where}`);
    for (const s of sent.secrets ?? []) {
      if (s.length >= 12 && /^\d+$/.test(s) && text.includes(s)) throw new Error(`the card number sent came back: ${where}`);
      if (s.length >= 3 && s.length <= 4 && text.includes(`"${s}"`)) throw new Error(`the CVV sent came back: ${where}`);
    }
  }
}

export function jsonOf(res: LightMyRequestResponse): unknown {
  try {
    return JSON.parse(res.body);
  } catch {
    return undefined;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The native API's refusal: application/problem+json with type, title, status (the HTTP one) and code. */
export function checkProblem(sent: Sent, res: LightMyRequestResponse): void {
  const where = describeCase(sent, res);
  if (sent.method === 'HEAD') return;
  if (!String(res.headers['content-type'] ?? '').startsWith('application/problem+json')) throw new ShapeError(`not problem+json: ${where}`);
  const b = jsonOf(res);
  if (!isObj(b) || typeof b.type !== 'string' || typeof b.title !== 'string' || b.status !== res.statusCode || typeof b.code !== 'string') {
    throw new ShapeError(`not a problem body: ${where}`);
  }
  if (!b.type.startsWith('urn:tokenvault:error:')) throw new ShapeError(`problem type: ${where}`);
}

/** Cybersource TMS refusal, or the one 401 body. */
export function checkTmsError(sent: Sent, res: LightMyRequestResponse): void {
  if (sent.method === 'HEAD') return;
  const where = describeCase(sent, res);
  const b = jsonOf(res);
  const errors = isObj(b) ? b.errors : undefined;
  if (!Array.isArray(errors) || errors.length === 0) throw new ShapeError(`not a TMS error body: ${where}`);
  for (const e of errors) {
    if (!isObj(e) || typeof e.type !== 'string' || typeof e.message !== 'string') throw new ShapeError(`TMS error entry: ${where}`);
    if (e.details !== undefined && !(Array.isArray(e.details) && e.details.every((d) => isObj(d) && typeof d.name === 'string'))) {
      throw new ShapeError(`TMS error details: ${where}`);
    }
  }
  if (res.statusCode === 401) {
    if ((errors[0] as Record<string, unknown>).type !== 'authenticationFailed' || !isObj(b) || !isObj(b.response)) {
      throw new ShapeError(`not the 401 body: ${where}`);
    }
  }
}

/** Cybersource PTS refusal: {submitTimeUtc, status, reason, message, details?}, or the 401 body. */
export function checkPtsError(sent: Sent, res: LightMyRequestResponse): void {
  if (sent.method === 'HEAD') return;
  if (res.statusCode === 401) {
    checkTmsError(sent, res);
    return;
  }
  const where = describeCase(sent, res);
  const b = jsonOf(res);
  if (
    !isObj(b) ||
    typeof b.submitTimeUtc !== 'string' ||
    typeof b.status !== 'string' ||
    typeof b.reason !== 'string' ||
    typeof b.message !== 'string' ||
    (b.details !== undefined && !(Array.isArray(b.details) && b.details.every((d) => isObj(d) && typeof d.field === 'string')))
  ) {
    throw new ShapeError(`not a PTS error body: ${where}`);
  }
}

/** AlliancePay refusal: {requestId, serviceId, msgCode, msgType, msgText, isLocalized, msgAttrs, errorCauses}. */
export function isAllianceError(b: unknown): boolean {
  return (
    isObj(b) &&
    typeof b.requestId === 'string' &&
    b.serviceId === 'api-gateway' &&
    typeof b.msgCode === 'string' &&
    (b.msgType === 'ERROR' || b.msgType === 'VALIDATION_ERROR') &&
    typeof b.msgText === 'string' &&
    typeof b.isLocalized === 'boolean' &&
    isObj(b.msgAttrs) &&
    Array.isArray(b.errorCauses)
  );
}

/** AppotaPay refusal: {errorCode, message, errors?}. */
export function isAppotaError(b: unknown): boolean {
  return (
    isObj(b) &&
    typeof b.errorCode === 'number' &&
    typeof b.message === 'string' &&
    (b.errors === undefined || (Array.isArray(b.errors) && b.errors.every((e) => isObj(e) && typeof e.field === 'string')))
  );
}

/** OPay envelope: {code, message, data}. */
export function isOpayEnvelope(b: unknown): b is { code: string; message: string; data: unknown } {
  return isObj(b) && typeof b.code === 'string' && typeof b.message === 'string' && 'data' in b;
}

// ---------------------------------------------------------------------------------------------------
// "Nothing written by a refused request"

/**
 * Rows that refused requests are documented to write, left out of the comparison: audit events of failed
 * authentication (auth.failed, auth.locked) and Idempotency-Key records (a refusal's answer is kept for replay,
 * docs/architecture.md). audit_heads only mirrors audit_events and is left out for the same reason. replay_claims
 * holds single-use ids spent by presenting them (a Cybersource JWT's jti, a v1 token's binding, AlliancePay's
 * x-request_id, AppotaPay's X-Request-ID): a request refused after it presented one has used it all the same
 * (SECURITY.md "Replays").
 */
const SKIPPED_TABLES = new Set(['audit_heads', 'kysely_migration', 'kysely_migration_lock', 'replay_claims']);
const ROW_FILTERS: Record<string, string> = {
  audit_events: `action not in ('auth.failed', 'auth.locked')`,
  idempotency_keys: `key like 'ref:%'`,
};

export interface Fingerprint {
  /** One query over every table: row counts, and version sums where a table has a version column. */
  take(): Promise<string>;
  tables: string[];
}

export async function fingerprinter(t: TestApp): Promise<Fingerprint> {
  const db = t.vault.store.db;
  let tables: { name: string; versioned: boolean; deletable: boolean }[];
  if (t.vault.store.kind === 'sqlite') {
    const rows = await sql<{ name: string; cols: string }>`
      select m.name as name, group_concat(p.name, ',') as cols
      from sqlite_master m join pragma_table_info(m.name) p
      where m.type = 'table' and m.name not like 'sqlite_%'
      group by m.name order by m.name`.execute(db);
    tables = rows.rows.map((r) => ({
      name: r.name,
      versioned: r.cols.split(',').includes('version'),
      deletable: r.cols.split(',').includes('deleted_at'),
    }));
  } else {
    const rows = await sql<{ name: string; cols: string }>`
      select table_name as name, string_agg(column_name, ',') as cols
      from information_schema.columns where table_schema = current_schema()
      group by table_name order by table_name`.execute(db);
    tables = rows.rows.map((r) => ({
      name: r.name,
      versioned: r.cols.split(',').includes('version'),
      deletable: r.cols.split(',').includes('deleted_at'),
    }));
  }
  tables = tables.filter((x) => !SKIPPED_TABLES.has(x.name));
  const selects = tables.map((x) => {
    const where = ROW_FILTERS[x.name] ? ` where ${ROW_FILTERS[x.name]}` : '';
    const version = x.versioned ? 'coalesce(sum(version), 0)' : '0';
    const deleted = x.deletable ? 'count(deleted_at)' : '0';
    return `select '${x.name}' as t, count(*) as n, ${version} as v, ${deleted} as d from "${x.name}"${where}`;
  });
  const query = sql.raw<{ t: string; n: number | string; v: number | string; d: number | string }>(selects.join(' union all '));
  return {
    tables: tables.map((x) => x.name),
    async take() {
      const r = await query.execute(db);
      return r.rows
        .map((row) => `${row.t}:${Number(row.n)}/${Number(row.v)}/${Number(row.d)}`)
        .sort()
        .join(' ');
    },
  };
}

/** Names what differs between two fingerprints. */
export function fingerprintDiff(before: string, after: string): string {
  const a = new Set(before.split(' '));
  return after
    .split(' ')
    .filter((x) => !a.has(x))
    .join(', ');
}

// ---------------------------------------------------------------------------------------------------
// One fuzz case

export interface CaseRunner {
  stats: Stats;
  fp: Fingerprint;
  /** Set by fixture code that writes between cases, so the next case reads a fresh "before". */
  dirty(): void;
  /** Distinct shape violations seen since the last call, emptied by the call. */
  takeViolations(): string[];
  /**
   * Sends one request and applies the oracles: `judge` checks the API's own shape and says whether the
   * answer is a refusal; a refusal must leave the database as it was.
   */
  run(
    route: string,
    sent: Sent,
    send: () => Promise<LightMyRequestResponse>,
    judge: (res: LightMyRequestResponse) => Promise<Outcome> | Outcome,
  ): Promise<LightMyRequestResponse>;
}

export function caseRunner(stats: Stats, fp: Fingerprint): CaseRunner {
  let last: string | null = null;
  const violations = new Map<string, { n: number; example: string }>();
  return {
    stats,
    fp,
    dirty() {
      last = null;
    },
    takeViolations() {
      const out = [...violations.entries()].map(([sig, v]) => `${sig} (${v.n}×), e.g. ${v.example}`);
      violations.clear();
      return out;
    },
    async run(route, sent, send, judge) {
      const before = last ?? (await fp.take());
      // Read afresh next time unless this case completes: a failed case may have written.
      last = null;
      let res: LightMyRequestResponse;
      try {
        res = await send();
      } catch (e) {
        throw new Error(`the request crashed: ${sent.method} ${sent.url.slice(0, 200)}: ${(e as Error).stack ?? e}`);
      }
      stats.cases++;
      stats.routes.add(route);
      stats.byStatus.set(res.statusCode, (stats.byStatus.get(res.statusCode) ?? 0) + 1);
      checkCommon(sent, res);
      let outcome: Outcome;
      try {
        // A request no route serves gets the router's answer, whatever API its path resembles.
        const problemJson = String(res.headers['content-type'] ?? '').startsWith('application/problem+json');
        if (routerNotFound(res) || (sent.unrouted && problemJson)) {
          checkProblem(sent, res);
          outcome = { refused: true };
        } else outcome = await judge(res);
      } catch (e) {
        if (!(e instanceof ShapeError)) throw e;
        const sig = `${route}: ${e.message.split(':')[0]} (HTTP ${res.statusCode})`;
        const v = violations.get(sig) ?? { n: 0, example: e.message.slice(0, 600) };
        v.n++;
        violations.set(sig, v);
        outcome = { refused: res.statusCode >= 400 };
      }
      const after = await fp.take();
      last = after;
      if (outcome.refused) {
        stats.refused++;
        if (outcome.documentedWrite) stats.documentedWrites++;
        else if (after !== before) {
          throw new Error(`a refused request wrote to the database (${fingerprintDiff(before, after)}): ${describeCase(sent, res)}`);
        }
      } else stats.accepted++;
      return res;
    },
  };
}

/** Percent-encoding of any string, lone surrogates included (as the three bytes a careless encoder would send). */
export function pct(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(s[i] as string);
  }
  return out;
}

/** Query string from pairs, every part URL-encoded. */
export const query = (pairs: [string, string][]): string =>
  pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')}`;

/** A route pattern with its parameters filled (each value URL-encoded). */
export function fill(pattern: string, values: Record<string, string>): string {
  return pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => pct(values[name] ?? 'x')).replace(/\*$/, values['*'] ?? 'x');
}

export const paramNames = (pattern: string): string[] => [...pattern.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);

export { fc };

/** The value type of an arbitrary. */
export type CaseOf<A> = A extends fc.Arbitrary<infer T> ? T : never;
