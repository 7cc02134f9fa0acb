/**
 * For the bounded gateway lists (newest first): an app clock that moves only when told, and a customer's cards
 * made one second apart through the vault, so "newest" is one order and a hundred cards take no HTTP round trips.
 */
import { futureYear, makeTestApp, type TestApp, VISA } from './harness.ts';

export async function appWithSteppedClock(): Promise<{ t: TestApp; step: (ms: number) => void }> {
  let at = Date.now();
  const t = await makeTestApp({ now: () => new Date(at) });
  const step = (ms: number) => {
    at += ms;
  };
  return { t, step };
}

/** A maker of cards for the customer with the merchant's own id `customerId` (made now): each call, one second later. */
export async function cardsFor(app: { t: TestApp; step: (ms: number) => void }, merchantId: string, customerId: string) {
  const caller = { merchantId, actor: 'test' };
  const customer = await app.t.vault.customers.findOrCreate(caller, { customerId });
  if (!customer.ok) throw new Error(customer.error);
  return async (): Promise<string> => {
    app.step(1000);
    const r = await app.t.vault.cards.tokenize(caller, {
      pan: VISA,
      expiry: { month: 12, year: futureYear() },
      customerId: customer.value.id,
    });
    if (!r.ok) throw new Error(r.error);
    return r.value.card.token;
  };
}
