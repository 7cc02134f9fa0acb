/** Token operations: create from a card, list a customer's, read one, change its state. */
import type { CardView } from '../../../../vault/cards.ts';
import { refusal } from '../codes.ts';
import { customerRef, tokenJson } from '../present.ts';
import { LIST_LIMIT } from '../schemas/tokens.ts';
import {
  allianceToken,
  type Ctx,
  cardRefusal,
  DATE,
  need,
  type OperationDeps,
  readCard,
  reference,
  TOKEN,
  withReference,
} from './context.ts';

export function tokenOperations(deps: OperationDeps) {
  const { cards, customers } = deps;

  async function create(ctx: Ctx) {
    const b = ctx.body;
    const ref = reference(b);
    need(b, 'merchantId', { max: 36 });
    const customerId = need(b, 'customerId', { max: 255 });
    need(b, 'date', { max: 40, pattern: DATE });
    const { pan, expiry } = await readCard(ctx);
    const check = cards.checkCard({ pan, expiry });
    if (!check.ok) throw cardRefusal(check.error);
    return withReference(deps, ctx, ref, async () => {
      const customer = await customers.findOrCreate(ctx.caller, { customerId });
      if (!customer.ok) throw refusal('b_invalid_request', { detail: customer.detail ?? customer.error });
      const r = await cards.tokenize(ctx.caller, {
        pan,
        expiry,
        customerId: customer.value.id,
        attributes: { alliancepayRequestId: ref },
        newToken: allianceToken,
      });
      if (!r.ok) throw cardRefusal(r.error);
      const t = tokenJson(r.value.card, customerId, ctx.cred);
      return { customerId: t.customerId, token: t.token, maskedPan: t.maskedPan, merchantId: t.merchantId, status: t.status };
    });
  }

  async function list(ctx: Ctx) {
    const customerId = need(ctx.body, 'customerId', { max: 255 });
    const found = await customers.list(ctx.caller, { after: null, limit: 1, customerId });
    const customer = found.items[0];
    if (!customer) return { result: [] };
    const newest = await cards.newestOfCustomer(ctx.caller, customer.id, { limit: LIST_LIMIT });
    return { result: newest.ok ? newest.value.map((c) => tokenJson(c, customerId, ctx.cred)) : [] };
  }

  /** The card `token` names; a deleted one is still answered (with status DELETED). */
  async function cardOf(ctx: Ctx): Promise<CardView> {
    const token = need(ctx.body, 'token', { max: 64, pattern: TOKEN });
    const r = await cards.get(ctx.caller, token);
    if (!r.ok) throw refusal('b_token_not_found');
    return r.value;
  }

  async function get(ctx: Ctx) {
    const card = await cardOf(ctx);
    return { result: [tokenJson(card, await customerRef(customers, ctx.caller, card), ctx.cred)] };
  }

  async function stateUpdate(ctx: Ctx) {
    const state = need(ctx.body, 'state', { max: 20, pattern: /^(?:ACTIVE|SUSPENDED|DELETED)$/ }) as 'ACTIVE' | 'SUSPENDED' | 'DELETED';
    const card = await cardOf(ctx);
    const customerId = await customerRef(customers, ctx.caller, card);
    let updated = false;
    if (card.storedStatus !== state && card.storedStatus !== 'DELETED') {
      const r = await cards.setStatus(ctx.caller, card.token, state, null);
      updated = r.ok;
    }
    return { tokenUpdated: updated, customerId, token: card.token };
  }

  return { create, list, get, stateUpdate };
}
