/**
 * Reveal (detokenize): the only path by which a full card number goes back to a merchant, and then only
 * encrypted to a key the caller holds. Every reveal is an audit event with its stated purpose. (The other
 * path out is a payment: vault/payments.ts hands the number to the payment processor, never to the caller.)
 */
import { appendAudit } from '../audit/log.ts';
import { encryptJson, importRecipient, JwkError } from '../crypto/jose.ts';

import { containsCardNumber } from '../domain/pan-detector.ts';
import { cardStore } from '../store/card-store.ts';
import { inTransaction } from '../store/db.ts';
import { PAN } from '../store/encrypted-fields.ts';
import { type Caller, iso, scopeOf, type VaultDeps } from './deps.ts';
import { fail, succeed, type VaultResult } from './errors.ts';

export interface RevealResult {
  token: string;
  jwe: string;
  alg: string;
}

export function createRevealService(deps: VaultDeps) {
  return {
    async reveal(caller: Caller, token: string, purpose: string, jwk: Record<string, unknown>): Promise<VaultResult<RevealResult>> {
      let recipient: Awaited<ReturnType<typeof importRecipient>>;
      try {
        recipient = await importRecipient(jwk);
      } catch (e) {
        return fail('invalid_key', e instanceof JwkError ? e.message : 'the JWK is not usable', [
          { field: 'jwk', code: 'invalid_jwk', message: 'see detail' },
        ]);
      }
      if (containsCardNumber(purpose)) {
        return fail('validation_failed', 'the purpose must not contain a card number', [
          { field: 'purpose', code: 'contains_card_number', message: 'describe the purpose without card data' },
        ]);
      }
      const { merchantId } = caller;
      const card = await cardStore.getCard(deps.db, merchantId, token, scopeOf(caller));
      if (!card) return fail('card_not_found', 'no such card');
      if (card.status === 'DELETED') return fail('card_deleted', 'the card is deleted and its number destroyed');
      const instrument = await cardStore.getInstrument(deps.db, merchantId, card.instrument_id, scopeOf(caller));
      if (!instrument?.pan_ct) return fail('card_deleted', 'the card number is no longer stored');
      const pan = (await deps.keyring.decrypt(merchantId, PAN.aad(merchantId, instrument.id), instrument.pan_ct)).toString();
      // Encrypted first, so a failure here records no reveal; the event commits before the JWE is returned,
      // so no reveal goes unaudited.
      const jwe = await encryptJson(
        { token, number: pan, expMonth: card.exp_month, expYear: card.exp_year, holderName: card.holder_name },
        recipient,
      );
      await inTransaction(deps.db, (tx) =>
        appendAudit(
          tx,
          { merchantId, actor: caller.actor, action: 'card.reveal', target: token, detail: { purpose, alg: recipient.alg } },
          iso(deps.now()),
        ),
      );
      return succeed({ token, jwe, alg: recipient.alg });
    },
  };
}

export type RevealService = ReturnType<typeof createRevealService>;
