import { appendAudit } from '../../audit/log.ts';
import { dataKeyVersion } from '../../crypto/keyring.ts';
import { binInfo, parsePan } from '../../domain/card.ts';
import { instrumentIdentifierId } from '../../domain/ids.ts';
import { cardStore } from '../../store/card-store.ts';
import { inTransaction } from '../../store/db.ts';
import { isUniqueViolation } from '../../store/errors.ts';
import { type Caller, iso, parseJson } from '../deps.ts';
import { fail, succeed, type VaultResult } from '../errors.ts';
import type { CardContext } from './context.ts';
import { type InstrumentView, instrumentRow, instrumentView, panAad, panMessage } from './model.ts';

export function createInstrumentOperations(ctx: CardContext) {
  const { deps, db, keyring, scrubber } = ctx;
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
      const at = iso(deps.now());
      for (let attempt = 0; ; attempt++) {
        const candidateId = instrumentIdentifierId();
        const candidateCt = await keyring.encrypt(merchantId, panAad(merchantId, candidateId), pan);
        try {
          return await inTransaction(db, async (tx) => {
            const { row, created } = await cardStore.upsertInstrument(
              tx,
              instrumentRow(merchantId, candidateId, fingerprint, candidateCt, info, at, true),
            );
            let current = row;
            if (!created && row.pan_ct === null) {
              const ct = await keyring.encrypt(merchantId, panAad(merchantId, row.id), pan);
              await cardStore.setInstrumentPan(tx, row.id, ct, dataKeyVersion(ct));
              current = { ...row, pan_ct: ct };
            }
            // Asked for as a token of its own: its number stays until it is deleted itself.
            if (!created && Number(row.retained) === 0) await cardStore.retainInstrument(tx, row.id);
            if (created || current !== row) {
              await appendAudit(tx, { merchantId, actor: caller.actor, action: 'instrument.create', target: row.id }, at);
            }
            return succeed({ instrument: instrumentView(current), created });
          });
        } catch (e) {
          if (attempt < 4 && isUniqueViolation(e)) continue;
          throw e;
        }
      }
    },

    /** An instrument identifier, also one whose number was deleted (`available: false`). */
    async getInstrument(caller: Caller, id: string): Promise<VaultResult<InstrumentView>> {
      const row = await cardStore.getInstrument(db, caller.merchantId, id);
      return row ? succeed(instrumentView(row)) : fail('instrument_not_found', 'no such instrument identifier');
    },

    /** Replaces the gateway attributes it names on an instrument identifier; others stay. */
    async updateInstrument(caller: Caller, id: string, attributes: Record<string, string>): Promise<VaultResult<InstrumentView>> {
      const { merchantId } = caller;
      return inTransaction(db, async (tx) => {
        const row = await cardStore.getInstrument(tx, merchantId, id);
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
        const row = await cardStore.getInstrument(tx, merchantId, id);
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
      const row = await cardStore.getInstrument(db, merchantId, instrumentId);
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
