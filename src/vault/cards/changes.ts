import { appendAudit } from '../../audit/log.ts';
import { type StoredStatus, transition } from '../../domain/lifecycle.ts';
import { cardSecretStore } from '../../store/card-secret-store.ts';
import { type CardPatch, type CardWithInstrument, cardStore } from '../../store/card-store.ts';
import { customerStore } from '../../store/customer-store.ts';
import { type Executor, inTransaction } from '../../store/db.ts';
import { type Caller, iso, parseJson, scopeOf } from '../deps.ts';
import { fail, succeed, type VaultFailure, type VaultResult } from '../errors.ts';
import { claimInTransaction, type ReferenceClaim, ReferenceTaken } from '../references.ts';
import type { CardContext } from './context.ts';
import type { CardUpdate, CardView } from './model.ts';

/** What a change writes: the patch, the instrument to wipe if orphaned, a reference to claim with it. */
interface Change {
  patch: CardPatch;
  wipe?: string | undefined;
  claim?: ReferenceClaim | undefined;
}

/** A reference claimed meanwhile rolled the change back. */
function referenceTaken(e: unknown): VaultFailure {
  if (!(e instanceof ReferenceTaken)) throw e;
  return fail('reference_taken', 'the reference was already used');
}

export function createCardChanges(ctx: CardContext) {
  const { deps, db, scrubber, view, defaultOf, checkExpiry, checkHolderName } = ctx;
  return {
    async update(caller: Caller, token: string, change: CardUpdate, ifMatch: number | null): Promise<VaultResult<CardView>> {
      const { merchantId } = caller;
      if (change.expiry) {
        const check = checkExpiry(change.expiry);
        if (!check.ok) return check;
      }
      const named = checkHolderName(change.holderName);
      if (!named.ok) return named;
      return mutate(caller, token, ifMatch, 'card.update', async (tx, row) => {
        if (row.status === 'DELETED') return fail('card_deleted', 'the card is deleted');
        const patch: CardPatch = {};
        if (change.expiry) {
          patch.exp_month = change.expiry.month;
          patch.exp_year = change.expiry.year;
        }
        if (change.holderName !== undefined) patch.holder_name = change.holderName;
        if (change.billingAddress !== undefined)
          patch.billing_address = change.billingAddress ? JSON.stringify(change.billingAddress) : null;
        if (change.metadata !== undefined) patch.metadata = change.metadata ? JSON.stringify(change.metadata) : null;
        if (change.attributes !== undefined) {
          patch.attributes = JSON.stringify({ ...(parseJson<Record<string, string>>(row.attributes) ?? {}), ...change.attributes });
        }
        if (change.makeDefault !== undefined) {
          if (row.customer_id === null) {
            return fail('invalid_request', 'a card without a customer cannot be a default', [
              { field: 'default', code: 'no_customer', message: 'attach the card to a customer first' },
            ]);
          }
          const current = await defaultOf(tx, merchantId, row.customer_id);
          const next = change.makeDefault ? row.id : current === row.id ? null : current;
          if (next !== current) await customerStore.setDefaultCard(tx, row.customer_id, next);
        }
        return succeed({ patch });
      });
    },

    /**
     * `keepDefault`: a customer's default card cannot be deleted while the customer has other live cards
     * (Cybersource's rule); checked in the deleting transaction. `claim`: the merchant's reference for this
     * request (AppotaPay's delete `merchantRefId`), claimed in the commit that writes the change; already taken,
     * nothing is written (reference_taken).
     */
    async setStatus(
      caller: Caller,
      token: string,
      to: StoredStatus,
      ifMatch: number | null,
      opts: { keepDefault?: boolean; strict?: boolean; claim?: ReferenceClaim } = {},
    ): Promise<VaultResult<CardView>> {
      return mutate(caller, token, ifMatch, to === 'DELETED' ? 'card.delete' : 'card.status', async (tx, row) => {
        const t = transition(row.status as StoredStatus, to);
        if (!t.ok) {
          // `strict`: a change to the state the card is already in is refused, so of two concurrent deletes one wins.
          if (t.error === 'already_in_state' && !opts.strict) return succeed({ patch: {} });
          if (t.error === 'already_in_state' && to === 'DELETED') return fail('card_deleted', 'the card is already deleted');
          return fail(row.status === 'DELETED' ? 'card_deleted' : 'invalid_transition', `a ${row.status} card cannot become ${to}`);
        }
        if (
          to === 'DELETED' &&
          opts.keepDefault &&
          row.customer_id !== null &&
          (await defaultOf(tx, caller.merchantId, row.customer_id)) === row.id
        ) {
          const others = (await cardStore.liveCardIdsOfCustomer(tx, caller.merchantId, row.customer_id)).filter((c) => c.id !== row.id);
          if (others.length > 0)
            return fail('default_in_use', 'the default payment instrument cannot be deleted while the customer has others');
        }
        // A deleted card keeps no security code either.
        if (to === 'DELETED') {
          await cardSecretStore.delete(tx, row.id);
          scrubber.wiped(['card_secrets']);
        }
        if (to === 'DELETED' && row.customer_id !== null) {
          await customerStore.clearDefaultCard(tx, row.customer_id, row.id);
        }
        return succeed({ patch: { status: to }, wipe: to === 'DELETED' ? row.instrument_id : undefined, claim: opts.claim });
      }).catch(referenceTaken);
    },
  };

  /**
   * Read–check–write with optimistic concurrency. With If-Match the caller's version must be current;
   * without it a lost race is retried on the fresh row.
   */
  async function mutate(
    caller: Caller,
    token: string,
    ifMatch: number | null,
    action: string,
    apply: (tx: Executor, row: CardWithInstrument) => Promise<VaultResult<Change>>,
  ): Promise<VaultResult<CardView>> {
    const { merchantId } = caller;
    for (let attempt = 0; attempt < 5; attempt++) {
      const outcome = await inTransaction(db, async (tx): Promise<VaultResult<CardView> | 'retry'> => {
        const row = await cardStore.getCard(tx, merchantId, token, scopeOf(caller));
        if (!row) return fail('card_not_found', 'no such card');
        if (ifMatch !== null && ifMatch !== row.version) return fail('version_mismatch', 'the card was changed since you read it');
        const change = await apply(tx, row);
        if (!change.ok) return change;
        const { patch, wipe, claim } = change.value;
        const at = iso(deps.now());
        if (Object.keys(patch).length > 0) {
          const updated = await cardStore.updateCard(tx, merchantId, token, row.version, patch, at);
          if (!updated) return ifMatch !== null ? fail('version_mismatch', 'the card was changed since you read it') : 'retry';
          // Taken with the change (a lost race above claims nothing); taken already, the change rolls back.
          if (claim) await claimInTransaction(tx, merchantId, claim, at);
          if (wipe) {
            await cardStore.wipePanIfOrphaned(tx, wipe);
            scrubber.wiped([]);
          }
        }
        const detail: Record<string, string> = patch.status
          ? { from: row.status, to: patch.status }
          : { fields: Object.keys(patch).join(',') || 'none' };
        await appendAudit(tx, { merchantId, actor: caller.actor, action, target: token, detail }, at);
        const fresh = (await cardStore.getCard(tx, merchantId, token, 'all')) as CardWithInstrument;
        return succeed(view(fresh, await defaultOf(tx, merchantId, fresh.customer_id)));
      });
      if (outcome !== 'retry') return outcome;
    }
    return fail('version_mismatch', 'the card is being changed concurrently; retry');
  }
}
