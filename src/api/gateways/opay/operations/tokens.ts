/**
 * OPay's card token operations: create, query (by token or by customer), delete. Each reads its body in
 * OPay's error order, calls the vault and answers OPay's envelope ("00000" is success).
 */
import { randomBytes } from 'node:crypto';
import { type Expiry, parseExpiryParts } from '../../../../domain/card.ts';
import type { CardService, CardView } from '../../../../vault/cards.ts';
import type { CustomerCardService } from '../../../../vault/customer-cards.ts';
import type { CustomerService, CustomerView } from '../../../../vault/customers.ts';
import type { Caller } from '../../../../vault/deps.ts';
import { liveCard } from '../../kit/cards.ts';
import type { Body } from '../../kit/fields.ts';
import { cardRefusal, envelope, fields, refuse } from '../codes.ts';
import { cardData, customerInfo } from '../present.ts';
import { BY_USER_LIMIT } from '../schemas.ts';

export interface TokenDeps {
  cards: CardService;
  customers: CustomerService;
  customerCards: CustomerCardService;
}

const { str, need, object, only } = fields;
const TEXT = /^[^\u0000-\u001f]*$/;
const TOKEN = /^[A-Za-z0-9_-]+$/;
const opayToken = () => `OPAY_TOKEN_${randomBytes(16).toString('hex')}`;

/** A customer as a create names it (customerInfo). */
interface NamedCustomer {
  customerId: string;
  name: string | undefined;
  email: string | undefined;
  phone: string | undefined;
}

/** A create's body, read and checked field by field. */
interface CreateInput {
  reference: string;
  cardNumber: string;
  expiry: Expiry;
  cvv: string | undefined;
  holder: string | undefined;
  customer: NamedCustomer | undefined;
}

function readCustomer(b: Body): NamedCustomer | undefined {
  const info = object(b, 'customerInfo');
  if (!info) return undefined;
  only(info, ['customerId', 'customerName', 'customerEmail', 'customerMobile']);
  return {
    customerId: need(info, 'customerId', { max: 64, pattern: TEXT }),
    name: str(info, 'customerName', { max: 100, pattern: TEXT }),
    email: str(info, 'customerEmail', { max: 100, pattern: /^[^@\s]+@[^@\s]+$/ }),
    phone: str(info, 'customerMobile', { max: 32, pattern: /^[0-9+() -]+$/ }),
  };
}

function readCreate(b: Body): CreateInput {
  only(b, ['reference', 'cardNumber', 'expiryYear', 'expiryMonth', 'cvv', 'cardHolderName', 'customerInfo']);
  const reference = need(b, 'reference', { max: 64, pattern: /^[\x21-\x7e]+$/ });
  const cardNumber = need(b, 'cardNumber', { max: 19 });
  const year = need(b, 'expiryYear', { max: 2, pattern: /^[0-9]{2}$/ });
  const month = need(b, 'expiryMonth', { max: 2, pattern: /^[0-9]{2}$/ });
  const cvv = str(b, 'cvv', { max: 4, pattern: /^[0-9]{3,4}$/ });
  const holder = str(b, 'cardHolderName', { max: 100, pattern: TEXT });
  const customer = readCustomer(b);
  const expiry = parseExpiryParts(month, year);
  if (!expiry.ok) throw refuse('params', 'expiryMonth/expiryYear are not a valid expiry');
  return { reference, cardNumber, expiry: expiry.value, cvv, holder, customer };
}

/**
 * The multi-step flow of a create (to move into the vault): the card is tokenized with its reference claimed
 * and, for a customer seen for the first time, the customer made in the same transaction.
 */
async function tokenizeWithCustomer(
  { cards, customerCards }: TokenDeps,
  caller: Caller,
  input: CreateInput,
): Promise<{ card: CardView; customer: CustomerView | null }> {
  const { reference, cardNumber, cvv, customer: named } = input;
  // The card is checked before anything is written: a refused card must not leave a customer behind.
  const check = cards.checkCard({ pan: cardNumber, expiry: input.expiry, ...(cvv ? { cvv } : {}) });
  if (!check.ok) throw cardRefusal(check.error, check.detail);
  // The reference is claimed in the card's own transaction (a crash cannot strand it); this read refuses
  // a plain duplicate before a customer is made for it.
  const claim = { namespace: 'opay', reference };
  if (await cards.referenceTaken(caller, claim)) throw refuse('duplicate');
  const customer = named
    ? {
        customerId: named.customerId,
        ...(named.name ? { name: named.name } : {}),
        ...(named.email ? { email: named.email } : {}),
        ...(named.phone ? { phone: named.phone } : {}),
      }
    : null;
  const r = await customerCards.tokenizeForCustomer(
    caller,
    {
      pan: cardNumber,
      expiry: input.expiry,
      holderName: input.holder ?? null,
      attributes: { opayReference: reference },
      newToken: opayToken,
      claim,
      ...(cvv ? { cvv } : {}),
    },
    customer,
  );
  if (!r.ok) throw r.error === 'reference_taken' ? refuse('duplicate') : cardRefusal(r.error, r.detail);
  return r.value;
}

export function tokenOperations(deps: TokenDeps) {
  const { cards, customers } = deps;

  async function found(caller: Caller, token: string): Promise<CardView> {
    const card = await liveCard(cards, caller, token);
    if (!card) throw refuse('tokenNotFound');
    return card;
  }

  async function create(caller: Caller, b: Body) {
    const { card, customer } = await tokenizeWithCustomer(deps, caller, readCreate(b));
    return envelope('success', { ...cardData(card), customerInfo: customerInfo(customer) });
  }

  async function byCustomer(caller: Caller, customerId: string) {
    const customer = (await customers.list(caller, { after: null, limit: 1, customerId })).items[0] ?? null;
    if (!customer) throw refuse('customerNotFound');
    // Active tokens only, as OPay's by-user query answers: the newest stored as active, less any whose card expired.
    const newest = await cards.newestOfCustomer(caller, customer.id, { limit: BY_USER_LIMIT, status: 'ACTIVE' });
    if (!newest.ok) throw refuse('customerNotFound');
    const tokens = newest.value.filter((c) => c.status === 'ACTIVE').map(cardData);
    return envelope('success', { customer: customerInfo(customer), cardTokens: tokens });
  }

  async function query(caller: Caller, b: Body) {
    only(b, ['opayToken', 'customerId']);
    // One key, as OPay's token info and by-user examples send: a second key is refused even when null or "".
    if (Object.keys(b).length !== 1) throw refuse('params', 'give exactly one of opayToken or customerId');
    const token = str(b, 'opayToken', { max: 64, pattern: TOKEN });
    const customerId = str(b, 'customerId', { max: 64, pattern: TEXT });
    if ((token === undefined) === (customerId === undefined)) throw refuse('params', 'give exactly one of opayToken or customerId');
    if (!token) return byCustomer(caller, customerId as string);
    const card = await found(caller, token);
    const owner = card.customerId ? await customers.get(caller, card.customerId) : null;
    return envelope('success', { ...cardData(card), customerInfo: customerInfo(owner?.ok ? owner.value : null) });
  }

  async function remove(caller: Caller, b: Body) {
    only(b, ['opayToken']);
    const token = need(b, 'opayToken', { max: 64, pattern: TOKEN });
    await found(caller, token);
    const r = await cards.setStatus(caller, token, 'DELETED', null);
    if (!r.ok) throw refuse('tokenNotFound');
    return envelope('success', null);
  }

  return { create, query, delete: remove } as const;
}
