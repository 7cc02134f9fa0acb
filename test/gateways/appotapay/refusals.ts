/**
 * What the AppotaPay error and security tests share: a call recorder (to check no answer was a 5xx), the
 * error envelope assertion, and refused creates and charges that must write nothing.
 */
import { expect } from 'vitest';
import type { TestApp } from '../../helpers/harness.ts';
import { type AppotaClient, type AppotaResponse, type CallOptions, chargeBody, tokenBody } from './helpers.ts';

/** The AppotaPay error envelope, with `errors` naming `field` when given. */
export function expectError(r: AppotaResponse, status: number, code: number, field?: string): void {
  expect(r.status, r.body).toBe(status);
  expect(r.json?.errorCode, r.body).toBe(code);
  expect(typeof r.json.message, r.body).toBe('string');
  expect(r.json.message.length).toBeGreaterThan(0);
  if (field) {
    expect(Array.isArray(r.json.errors), r.body).toBe(true);
    const leaf = field.split('.').pop() as string;
    const named = (r.json.errors as { field: unknown; reason: unknown }[]).filter(
      (e) => typeof e.field === 'string' && (e.field === field || e.field === leaf || e.field.endsWith(`.${leaf}`)),
    );
    expect(named.length, `errors should name ${field}: ${r.body}`).toBeGreaterThan(0);
    for (const e of named) expect(typeof e.reason).toBe('string');
  }
}

/** One test file's calls, as `appota` (its merchant) by default, each answer recorded. */
export function refusalKit(get: () => { t: TestApp; appota: AppotaClient }) {
  /** Every answer this file got, to check that none was a 5xx. */
  const answered: { what: string; status: number }[] = [];

  async function call(c: AppotaClient, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, opts?: CallOptions) {
    const r = await c.call(method, path, body, opts);
    answered.push({ what: `${method} ${path} → ${r.body.slice(0, 200)}`, status: r.status });
    return r;
  }
  const create = (body: unknown, opts?: CallOptions) => call(get().appota, 'POST', '/credit-card/token', body, opts);
  const charge = (body: unknown, opts?: CallOptions) => call(get().appota, 'POST', '/credit-card/charge', body, opts);

  const count = async (table: 'cards' | 'payments') =>
    Number(
      (
        await get()
          .t.vault.store.db.selectFrom(table)
          .select((e) => e.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  /**
   * A token create that must be refused and write nothing: no card appears, and (when the body's merchantRefId
   * is itself valid) a later good create with the same merchantRefId succeeds.
   */
  async function refusedCreate(body: Record<string, unknown>, code: number, field?: string, opts: CallOptions & { status?: number } = {}) {
    const before = await count('cards');
    const r = await create(body, opts);
    expectError(r, opts.status ?? 400, code, field);
    expect(await count('cards')).toBe(before);
    const ref = body.merchantRefId;
    if (typeof ref === 'string' && ref.length >= 1 && ref.length <= 40) {
      const ok = await create(tokenBody({ merchantRefId: ref }));
      expect(ok.status, `the merchantRefId ${ref} should still be free: ${ok.body}`).toBe(200);
    }
    return r;
  }

  /**
   * A charge that must be refused and write nothing: no payment, and its merchantRefId (when valid) still free
   * (checked by charging the MULTIPLE token `multi()` with it).
   */
  const refusedChargeFor =
    (multi: () => string) => async (body: Record<string, unknown>, status: number, code: number, field?: string, opts?: CallOptions) => {
      const before = await count('payments');
      const r = await charge(body, opts);
      expectError(r, status, code, field);
      expect(await count('payments')).toBe(before);
      const ref = body.merchantRefId;
      if (code !== 4 && typeof ref === 'string' && ref.length >= 1 && ref.length <= 40) {
        const ok = await charge(chargeBody(multi(), { merchantRefId: ref }));
        expect(ok.status, `the charge merchantRefId ${ref} should still be free: ${ok.body}`).toBe(200);
      }
      return r;
    };

  return { answered, call, create, charge, count, refusedCreate, refusedChargeFor };
}
