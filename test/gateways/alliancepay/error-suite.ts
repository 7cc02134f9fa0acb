import { afterAll, beforeAll, expect } from 'vitest';
import { type Client, client, createMerchant, futureYear, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import { type AllianceClient, type ApResponse, allianceClient, bodies, type CallOptions, type Json, PATHS } from './helpers.ts';

export let t: TestApp;
export let ap: AllianceClient;
export let other: AllianceClient;
export let native: Client;
export let b: ReturnType<typeof bodies>;
export let bo: ReturnType<typeof bodies>;

export const YY = String(futureYear() % 100).padStart(2, '0');
export const EXP = `${YY}12`;
export const CHALLENGE = '4000000000003220';

export let custSeq = 0;
export const newCustomer = () => `ap-err-${Date.now()}-${++custSeq}`;

export const count = async (table: 'cards' | 'payments' | 'gateway_sessions' | 'customers') =>
  Number(
    (
      await t.vault.store.db
        .selectFrom(table)
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
export const snapshot = async () => ({
  cards: await count('cards'),
  payments: await count('payments'),
  customers: await count('customers'),
});

/** The AlliancePay error envelope, field for field, in plain JSON (never a JWE). */
export function expectError(r: ApResponse, http: number, msgCode: string, msgType: 'ERROR' | 'VALIDATION_ERROR' = 'ERROR'): void {
  expect(r.encrypted, JSON.stringify(r.json)).toBe(false);
  expect({ status: r.status, msgCode: r.json?.msgCode }).toEqual({ status: http, msgCode });
  expect(r.json).toEqual({
    requestId: expect.any(String),
    serviceId: 'api-gateway',
    msgCode,
    msgType,
    msgText: expect.any(String),
    isLocalized: false,
    msgAttrs: expect.any(Object),
    errorCauses: expect.any(Array),
  });
  expect(Array.isArray(r.json.msgAttrs)).toBe(false);
  expect(r.json.requestId.length).toBeGreaterThan(0);
  expect(r.json.msgText.length).toBeGreaterThan(0);
}

/** A call that must be refused with `msgCode` and change no card, payment or customer. */
export async function refused(
  path: string,
  body: unknown,
  http: number,
  msgCode: string,
  opts: CallOptions & { client?: AllianceClient; msgType?: 'ERROR' | 'VALIDATION_ERROR' } = {},
): Promise<ApResponse> {
  const before = await snapshot();
  const r = await (opts.client ?? ap).call(path, body, opts);
  expectError(r, http, msgCode, opts.msgType);
  expect(await snapshot()).toEqual(before);
  return r;
}

export function ok(r: ApResponse): Json {
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  expect(r.encrypted, JSON.stringify(r.json)).toBe(true);
  return r.json;
}

export async function createToken(over: Record<string, unknown> = {}, c: AllianceClient = ap): Promise<Json> {
  return ok(await c.call(PATHS.create, await (c === ap ? b : bo).createToken(over)));
}
export const list = async (customerId: string, c: AllianceClient = ap): Promise<Json[]> =>
  ok(await c.call(PATHS.list, { customerId })).result;
export const get = async (token: string): Promise<Json> => ok(await ap.call(PATHS.get, { token })).result[0];

/** Registers the suite's app and two merchants' sessions (merchant A: `ap`, `b`; merchant B: `other`, `bo`). */
export function useErrorSuite(): void {
  beforeAll(async () => {
    t = await makeTestApp();
    const m = await createMerchant(t, 'AlliancePay merchant');
    ap = allianceClient(t, m);
    other = allianceClient(t, await createMerchant(t, 'Other AlliancePay merchant'));
    native = client(t, m.apiKey);
    b = bodies(ap, EXP);
    bo = bodies(other, EXP);
    expect((await ap.authorize()).encrypted).toBe(true);
    expect((await other.authorize()).encrypted).toBe(true);
  });
  afterAll(() => t.close());
}
