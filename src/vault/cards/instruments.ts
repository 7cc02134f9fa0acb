import { appendAudit } from '../../audit/log.ts';
import { dataKeyVersion } from '../../crypto/keyring.ts';
import { bankFingerprintInput, parseBankAccount } from '../../domain/bank-account.ts';
import { binInfo, parsePan } from '../../domain/card.ts';
import { bankInstrumentIdentifierId, instrumentIdentifierId } from '../../domain/ids.ts';
import { cardStore } from '../../store/card-store.ts';
import { inTransaction } from '../../store/db.ts';
import { isUniqueViolation } from '../../store/errors.ts';
import type { InstrumentRow } from '../../store/schema.ts';
import { type Caller, iso, parseJson, scopeOf } from '../deps.ts';
import { fail, succeed, type VaultResult } from '../errors.ts';
import type { CardContext } from './context.ts';
import { bankInstrumentRow, type InstrumentView, instrumentRow, instrumentView, panAad, panMessage } from './model.ts';

/** What a new identifier holds: its secret (card or account number), fingerprint, id format and row. */
interface IdentifierDraft {
  secret: string;
  fingerprint: { value: string; version: number };
  newId: () => string;
  row: (id: string, ct: string, at: string) => InstrumentRow;
  /** Kept as a token of its own (until it is deleted itself), or only while a card uses it. */
  retain: boolean;
}

export function createInstrumentOperations(ctx: CardContext) {
  const { deps, db, keyring, scrubber } = ctx;

  /**
   * The identifier of a number: made (and the number stored) on first sight, found by fingerprint afterwards;
   * a deleted one gets its number back; with `retain`, kept as a token of its own until it is deleted itself.
   */
  async function upsertIdentifier(caller: Caller, draft: IdentifierDraft): Promise<{ instrument: InstrumentView; created: boolean }> {
    const { merchantId } = caller;
    const at = iso(deps.now());
    for (let attempt = 0; ; attempt++) {
      const candidateId = draft.newId();
      const candidateCt = await keyring.encrypt(merchantId, panAad(merchantId, candidateId), draft.secret);
      try {
        return await inTransaction(db, async (tx) => {
          const { row, created } = await cardStore.upsertInstrument(tx, draft.row(candidateId, candidateCt, at));
          let current = row;
          if (!created && row.pan_ct === null) {
            const ct = await keyring.encrypt(merchantId, panAad(merchantId, row.id), draft.secret);
            await cardStore.setInstrumentPan(tx, row.id, ct, dataKeyVersion(ct));
            current = { ...row, pan_ct: ct };
          }
          if (draft.retain && !created && Number(row.retained) === 0) await cardStore.retainInstrument(tx, row.id);
          if (created || current !== row) {
            await appendAudit(tx, { merchantId, actor: caller.actor, action: 'instrument.create', target: row.id }, at);
          }
          return { instrument: instrumentView(current), created };
        });
      } catch (e) {
        if (attempt < 4 && isUniqueViolation(e)) continue;
        throw e;
      }
    }
  }

  return {
    /**
     * The instrument identifier of a card number: made (and its number stored) on first sight, found by
     * fingerprint afterwards; a deleted one gets its number back.
     */
    async createInstrument(caller: Caller, panInput: string): Promise<VaultResult<{ instrument: InstrumentView; created: boolean }>> {
      const { merchantId } = caller;
      const parsed = parsePan(panInput);
      if (!parsed.ok) {
        return fail('invalid_card_number', 'the card number is not valid', [
          { field: 'number', code: parsed.error, message: panMessage(parsed.error) },
        ]);
      }
      const pan = parsed.value;
      const info = binInfo(pan);
      const fingerprint = await keyring.fingerprint(merchantId, pan);
      return succeed(
        await upsertIdentifier(caller, {
          secret: pan,
          fingerprint,
          newId: instrumentIdentifierId,
          row: (id, ct, at) => instrumentRow(merchantId, id, fingerprint, ct, info, at, true),
          retain: true,
        }),
      );
    },

    /**
     * The instrument identifier of a bank account (routing and account number): made on first sight, the
     * same one for the same account afterwards. Only a caller serving bank accounts may make one. With
     * `retain: false` (an account sent to make a payment instrument) its number goes with its last token, as
     * a card number sent to tokenize does.
     */
    async createBankInstrument(
      caller: Caller,
      input: { number: string; routingNumber: string },
      opts: { retain: boolean } = { retain: true },
    ): Promise<VaultResult<{ instrument: InstrumentView; created: boolean }>> {
      const { merchantId } = caller;
      if (scopeOf(caller) !== 'all') throw new Error('createBankInstrument: this caller does not serve bank accounts');
      const parsed = parseBankAccount(input);
      if (!parsed.ok) {
        const field = parsed.error === 'account_number_format' ? 'number' : 'routingNumber';
        return fail('invalid_bank_account', 'the bank account is not valid', [{ field, code: parsed.error, message: parsed.detail ?? '' }]);
      }
      const account = parsed.value;
      const fingerprint = await keyring.fingerprint(merchantId, bankFingerprintInput(account));
      return succeed(
        await upsertIdentifier(caller, {
          secret: account.number,
          fingerprint,
          newId: bankInstrumentIdentifierId,
          row: (id, ct, at) => bankInstrumentRow({ merchantId, id, fingerprint, ct, at, retained: opts.retain }, account),
          retain: opts.retain,
        }),
      );
    },

    /** An instrument identifier, also one whose number was deleted (`available: false`). */
    async getInstrument(caller: Caller, id: string): Promise<VaultResult<InstrumentView>> {
      const row = await cardStore.getInstrument(db, caller.merchantId, id, scopeOf(caller));
      return row ? succeed(instrumentView(row)) : fail('instrument_not_found', 'no such instrument identifier');
    },

    /** Replaces the gateway attributes it names on an instrument identifier; others stay. */
    async updateInstrument(caller: Caller, id: string, attributes: Record<string, string>): Promise<VaultResult<InstrumentView>> {
      const { merchantId } = caller;
      return inTransaction(db, async (tx) => {
        const row = await cardStore.getInstrument(tx, merchantId, id, scopeOf(caller));
        if (!row) return fail('instrument_not_found', 'no such instrument identifier');
        if (row.pan_ct === null) return fail('instrument_gone', 'the instrument identifier was deleted');
        const merged = JSON.stringify({ ...(parseJson<Record<string, string>>(row.attributes) ?? {}), ...attributes });
        await cardStore.setInstrumentAttributes(tx, id, merged);
        const at = iso(deps.now());
        await appendAudit(
          tx,
          {
            merchantId,
            actor: caller.actor,
            action: 'instrument.update',
            target: id,
            detail: { fields: Object.keys(attributes).join(',') },
          },
          at,
        );
        return succeed(instrumentView({ ...row, attributes: merged }));
      });
    },

    /** Destroys an instrument identifier's card number; refused while a live card still uses it. */
    async deleteInstrument(caller: Caller, id: string): Promise<VaultResult<InstrumentView>> {
      const { merchantId } = caller;
      return inTransaction(db, async (tx) => {
        const row = await cardStore.getInstrument(tx, merchantId, id, scopeOf(caller));
        if (!row) return fail('instrument_not_found', 'no such instrument identifier');
        if (row.pan_ct === null) return fail('instrument_gone', 'the instrument identifier was deleted');
        if ((await cardStore.countLiveCardsOfInstrument(tx, id)) > 0) {
          return fail('instrument_in_use', 'payment instruments still use this instrument identifier');
        }
        await cardStore.destroyInstrumentPan(tx, id);
        scrubber.wiped([]);
        await appendAudit(tx, { merchantId, actor: caller.actor, action: 'instrument.delete', target: id }, iso(deps.now()));
        return succeed(instrumentView({ ...row, pan_ct: null }));
      });
    },

    /**
     * The one way a gateway API shows a full card number: `seal` receives it and must return it encrypted
     * to the merchant's key; the reveal is audited (committed before the sealed answer is returned).
     */
    async sealPan<T>(caller: Caller, instrumentId: string, purpose: string, seal: (pan: string) => Promise<T>): Promise<VaultResult<T>> {
      const { merchantId } = caller;
      const row = await cardStore.getInstrument(db, merchantId, instrumentId, scopeOf(caller));
      if (!row) return fail('instrument_not_found', 'no such instrument identifier');
      if (row.pan_ct === null) return fail('instrument_gone', 'the card number is no longer stored');
      const pan = (await keyring.decrypt(merchantId, panAad(merchantId, row.id), row.pan_ct)).toString();
      const sealed = await seal(pan);
      await inTransaction(db, (tx) =>
        appendAudit(
          tx,
          { merchantId, actor: caller.actor, action: 'card.reveal', target: instrumentId, detail: { purpose } },
          iso(deps.now()),
        ),
      );
      return succeed(sealed);
    },
  };
}
