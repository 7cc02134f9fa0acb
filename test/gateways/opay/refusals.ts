/** What errors.test.ts and security.test.ts share: two merchants, a create body, and what a refusal must look like. */
import { expect } from 'vitest';
import {
  type Client,
  client,
  createMerchant,
  futureYear,
  makeTestApp,
  type TestApp,
  type TestMerchant,
  VISA,
} from '../../helpers/harness.ts';
import { type OpayClient, opayClient } from './helpers.ts';

export interface World {
  t: TestApp;
  merchant: TestMerchant;
  opay: OpayClient;
  other: OpayClient;
  native: Client;
}

/** A test app with this merchant (its OPay client and native client) and another merchant's OPay client. */
export async function twoMerchants(): Promise<World> {
  const t = await makeTestApp();
  const merchant = await createMerchant(t, 'OPay merchant');
  return {
    t,
    merchant,
    opay: opayClient(t, merchant),
    other: opayClient(t, await createMerchant(t, 'Other merchant')),
    native: client(t, merchant.apiKey),
  };
}

const YY = String(futureYear() % 100).padStart(2, '0');
let refSeq = 0;
export const ref = () => `ERR-${Date.now()}-${++refSeq}`;

export const createBody = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  reference: ref(),
  cardNumber: VISA,
  expiryYear: YY,
  expiryMonth: '02',
  cvv: '123',
  cardHolderName: 'Ada Lovelace',
  ...over,
});

export const countRows = async (t: TestApp, table: 'cards' | 'customers') =>
  Number(
    (
      await t.vault.store.db
        .selectFrom(table)
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

export type Res = Awaited<ReturnType<OpayClient['call']>>;

/** The OPay error envelope: HTTP 200, the code, data null. */
export function expectRefused(r: Res, code: string, messageContains?: string): void {
  expect(r.status).toBe(200);
  expect(r.json.code).toBe(code);
  expect(r.json.data).toBeNull();
  expect(typeof r.json.message).toBe('string');
  if (messageContains) expect(r.json.message).toContain(messageContains);
}

/** `refusedCreate(body, code, …)`: a create that must be refused with `code` and write no card. */
export function refusing(world: () => Pick<World, 't' | 'opay'>) {
  return async function refusedCreate(body: Record<string, unknown>, code: string, messageContains?: string, opts = {}): Promise<Res> {
    const { t, opay } = world();
    const before = await countRows(t, 'cards');
    const r = await opay.call('create', body, opts);
    expectRefused(r, code, messageContains);
    expect(await countRows(t, 'cards')).toBe(before);
    return r;
  };
}
