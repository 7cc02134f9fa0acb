/**
 * A card tokenized for a customer the merchant names by its own reference, made on first sight (OPay's create
 * with customerInfo): an existing live customer with that reference gets the card; otherwise the customer is
 * created in the card's own transaction, so a refused card leaves no customer behind and two first sights at
 * once make one customer (the second finds the first's in the transaction and is given it).
 */
import type { CardService, CardView, TokenizeInput } from './cards.ts';
import { type CustomerInput, type CustomerService, type CustomerView, customerView } from './customers.ts';
import { type Caller, scopeOf } from './deps.ts';
import { succeed, type VaultResult } from './errors.ts';

export function createCustomerCardService(deps: { cards: CardService; customers: CustomerService }) {
  const { cards, customers } = deps;
  return {
    async tokenizeForCustomer(
      caller: Caller,
      input: Omit<TokenizeInput, 'customerId' | 'newCustomer'>,
      customer: (CustomerInput & { customerId: string }) | null,
    ): Promise<VaultResult<{ card: CardView; customer: CustomerView | null }>> {
      const existing = customer ? await customers.findByCustomerId(caller, customer.customerId) : null;
      const fresh = customer && !existing ? customers.draft(caller, customer) : undefined;
      const r = await cards.tokenize(caller, { ...input, customerId: existing?.id ?? null, ...(fresh ? { newCustomer: fresh } : {}) });
      if (!r.ok) return r;
      const card = r.value.card;
      if (!fresh) return succeed({ card, customer: existing });
      // Made now, or (a concurrent first sight) found in the transaction: then it is read.
      const other = card.customerId !== fresh.id && card.customerId ? await customers.get(caller, card.customerId) : null;
      return succeed({ card, customer: other?.ok ? other.value : customerView(fresh, scopeOf(caller)) });
    },
  };
}

export type CustomerCardService = ReturnType<typeof createCustomerCardService>;
