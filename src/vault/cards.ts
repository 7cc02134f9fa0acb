import type { StoredStatus } from '../domain/lifecycle.ts';
import { cardStore } from '../store/card-store.ts';
import { customerStore } from '../store/customer-store.ts';
import { type Cursor, type Page, toPage } from '../store/page.ts';
import { createCardChanges } from './cards/changes.ts';
import { cardContext } from './cards/context.ts';
import { createCvvHolding } from './cards/cvv.ts';
import { createInstrumentOperations } from './cards/instruments.ts';
import type { CardView } from './cards/model.ts';
import { createTokenize } from './cards/tokenize.ts';
import { type Caller, iso, scopeOf, type VaultDeps } from './deps.ts';
import { fail, succeed, type VaultResult } from './errors.ts';
import { claimNow, isReferenceTaken, type ReferenceClaim, releaseClaim } from './references.ts';

export {
  type Address,
  type CardUpdate,
  type CardView,
  cvvWindowMs,
  type HeldCvv,
  type InstrumentView,
  type Metadata,
  nativeToken,
  type TokenizeInput,
} from './cards/model.ts';

export function createCardService(deps: VaultDeps) {
  const ctx = cardContext(deps);
  const { db, view, defaultOf } = ctx;
  return {
    ...createTokenize(ctx),
    ...createInstrumentOperations(ctx),
    ...createCvvHolding(ctx),
    ...createCardChanges(ctx),

    async get(caller: Caller, token: string): Promise<VaultResult<CardView>> {
      const { merchantId } = caller;
      const row = await cardStore.getCard(db, merchantId, token, scopeOf(caller));
      if (!row) return fail('card_not_found', 'no such card');
      return succeed(view(row, await defaultOf(db, merchantId, row.customer_id)));
    },

    async list(
      caller: Caller,
      opts: { customerId: string | null; after: Cursor | null; limit: number; includeDeleted?: boolean },
    ): Promise<VaultResult<Page<CardView>>> {
      const { merchantId } = caller;
      let defaultCardId: string | null = null;
      if (opts.customerId !== null) {
        const customer = await customerStore.get(db, merchantId, opts.customerId);
        if (!customer) return fail('customer_not_found', 'no such customer');
        defaultCardId = customer.default_card_id;
      }
      const rows = await cardStore.listCards(db, merchantId, {
        ...opts,
        limit: opts.limit + 1,
        includeDeleted: opts.includeDeleted ?? false,
        scope: scopeOf(caller),
      });
      return succeed(toPage(rows, opts.limit, (r) => view(r, defaultCardId)));
    },

    /**
     * A customer's newest `limit` cards, newest first (not deleted; with `status`, only those stored so): for
     * the gateway lists whose wire has no paging, which answer this bounded set instead of every card.
     */
    async newestOfCustomer(
      caller: Caller,
      customerId: string,
      opts: { limit: number; status?: StoredStatus },
    ): Promise<VaultResult<CardView[]>> {
      const { merchantId } = caller;
      const customer = await customerStore.get(db, merchantId, customerId);
      if (!customer) return fail('customer_not_found', 'no such customer');
      const rows = await cardStore.newestCardsOfCustomer(db, merchantId, customerId, {
        limit: opts.limit,
        status: opts.status ?? null,
        scope: scopeOf(caller),
      });
      return succeed(rows.map((r) => view(r, customer.default_card_id)));
    },

    /**
     * Which merchant holds a token, for the one API (AppotaPay) whose contract answers "another merchant's
     * token" differently from "no such token". Tokens are unguessable; nothing about the card is returned.
     */
    async ownerOf(token: string): Promise<string | null> {
      return cardStore.ownerOf(db, token);
    },

    /** Live cards of a customer or of an instrument identifier by position (offset paging), with the total. */
    async listAt(
      caller: Caller,
      of: { customerId?: string; instrumentId?: string },
      offset: number,
      limit: number,
    ): Promise<VaultResult<{ items: CardView[]; total: number }>> {
      const { merchantId } = caller;
      let defaultCardId: string | null = null;
      if (of.customerId !== undefined) {
        const customer = await customerStore.get(db, merchantId, of.customerId);
        if (!customer) return fail('customer_not_found', 'no such customer');
        defaultCardId = customer.default_card_id;
      }
      if (of.instrumentId !== undefined && !(await cardStore.getInstrument(db, merchantId, of.instrumentId, scopeOf(caller)))) {
        return fail('instrument_not_found', 'no such instrument identifier');
      }
      const { items, total } = await cardStore.listCardsAt(db, merchantId, of, offset, limit, scopeOf(caller));
      if (of.customerId !== undefined) return succeed({ items: items.map((r) => view(r, defaultCardId)), total });
      const out: CardView[] = [];
      for (const r of items) out.push(view(r, await defaultOf(db, merchantId, r.customer_id)));
      return succeed({ items: out, total });
    },

    /** Whether a merchant reference was used already (claimed for real by the creation it guards). */
    referenceTaken(caller: Caller, claim: ReferenceClaim): Promise<boolean> {
      return isReferenceTaken(db, caller.merchantId, claim);
    },

    /**
     * Claims a single-use value in a commit of its own (request ids kept against replay, AlliancePay's
     * references): false when it was claimed before. Creations claim theirs in their own transaction instead
     * (TokenizeInput.claim, PayInput.claim).
     */
    claimReference(caller: Caller, namespace: string, reference: string): Promise<boolean> {
      return claimNow(db, caller.merchantId, { namespace, reference }, iso(deps.now()));
    },

    async releaseReference(caller: Caller, namespace: string, reference: string): Promise<void> {
      await releaseClaim(db, caller.merchantId, { namespace, reference });
    },
  };
}

export type CardService = ReturnType<typeof createCardService>;
