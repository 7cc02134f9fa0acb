/** OPay query by customer is bounded (issue 19): at most BY_USER_LIMIT active tokens, the newest, newest first. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BY_USER_LIMIT } from '../../../src/api/gateways/opay/schemas.ts';
import { createMerchant, type TestApp } from '../../helpers/harness.ts';
import { appWithSteppedClock, cardsFor } from '../../helpers/newest-cards.ts';
import { type OpayClient, opayClient } from './helpers.ts';

let t: TestApp;
let opay: OpayClient;
let merchantId: string;
let app: Awaited<ReturnType<typeof appWithSteppedClock>>;

beforeAll(async () => {
  app = await appWithSteppedClock();
  t = app.t;
  const m = await createMerchant(t, 'OPay merchant');
  merchantId = m.id;
  opay = opayClient(t, m);
});
afterAll(() => t.close());

describe('OPay query by customer', () => {
  it(`answers the ${BY_USER_LIMIT} newest active tokens, newest first; suspended and deleted ones take no place`, async () => {
    const caller = { merchantId, actor: 'test' };
    const card = await cardsFor(app, merchantId, 'many-cards');
    const active: string[] = [];
    for (let i = 0; i < BY_USER_LIMIT + 3; i++) active.push(await card());
    // The newest two are not active.
    const suspended = await card();
    expect((await t.vault.cards.setStatus(caller, suspended, 'SUSPENDED', null)).ok).toBe(true);
    const deleted = await card();
    expect((await t.vault.cards.setStatus(caller, deleted, 'DELETED', null)).ok).toBe(true);

    const r = await opay.call('query', { customerId: 'many-cards' });
    expect(r.json.code).toBe('00000');
    const tokens = (r.json.data as { cardTokens: { opayToken: string }[] }).cardTokens.map((x) => x.opayToken);
    expect(tokens).toEqual(active.reverse().slice(0, BY_USER_LIMIT));
  });
});
