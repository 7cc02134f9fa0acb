import { cardSecretStore } from '../../store/card-secret-store.ts';
import { inTransaction } from '../../store/db.ts';
import { windowKeyStore } from '../../store/window-key-store.ts';
import { type Caller, iso } from '../deps.ts';
import type { CardContext } from './context.ts';
import { cvvAad, type HeldCvv } from './model.ts';

export function createCvvHolding(ctx: CardContext) {
  const { deps, db, scrubber, cvvKeys, sealCvv } = ctx;
  return {
    /**
     * Hands the held CVV to its one use (the first payment) and wipes it in the same step; null when none
     * was held or its TTL has passed (an expired one is wiped too).
     */
    async takeCvv(caller: Caller, token: string): Promise<HeldCvv | null> {
      const { merchantId } = caller;
      const row = await inTransaction(db, async (tx) => {
        const secret = await cardSecretStore.get(tx, merchantId, token);
        if (secret) await cardSecretStore.delete(tx, token);
        return secret;
      });
      if (!row) return null;
      scrubber.wiped(['card_secrets']);
      if (row.expires_at <= iso(deps.now())) return null;
      try {
        return { cvv: (await cvvKeys.open(cvvAad(merchantId, token), row.cvv_ct)).toString(), expiresAt: row.expires_at };
      } catch {
        // Its window key is gone (the window ended between the read and now): as good as expired.
        return null;
      }
    },

    /** Puts a taken CVV back, with its original expiry, when its use did not happen (processor timeout). */
    async restoreCvv(caller: Caller, token: string, held: HeldCvv): Promise<void> {
      if (held.expiresAt <= iso(deps.now())) return;
      const ct = await sealCvv(caller.merchantId, token, held.cvv, held.expiresAt);
      await cardSecretStore.restore(db, { card_id: token, merchant_id: caller.merchantId, cvv_ct: ct, expires_at: held.expiresAt });
    },

    /**
     * The sweep the server runs on a timer: wipes every CVV past its TTL, destroys the window keys whose
     * window has ended, and scrubs what was deleted since the last sweep (used CVVs, deleted cards' numbers)
     * from the database files. Returns how many CVVs it wiped.
     */
    async purgeExpiredCvvs(): Promise<number> {
      const now = iso(deps.now());
      const wiped = await cardSecretStore.deleteExpired(db, now);
      if (wiped > 0) scrubber.wiped(['card_secrets']);
      if ((await windowKeyStore.deleteEnded(db, now)) > 0) scrubber.wiped(['window_keys']);
      cvvKeys.forgetEnded();
      await scrubber.scrub();
      return wiped;
    },
  };
}
