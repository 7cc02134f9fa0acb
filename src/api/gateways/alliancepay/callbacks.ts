/**
 * AlliancePay's callbacks (docs/alliancepay.md, Callback): the outcome of a payment or refund that asked for one
 * (`notificationUrl`), POSTed as the operation object the getting-data calls answer; plain JSON, or with
 * `notificationEncryption: true` `{"jwe": …}` to the merchant's key as answers are (*chosen*: the encrypted
 * format is not published). The vault's outbox (vault/outbox.ts) writes each with its outcome, delivers it
 * and retries after 5 s, 30 s, 5 min, 30 min and 1 h until the merchant answers HTTP 200 (as documented).
 */

import type { OutboxDelivery, OutboxRequest, OutboxTopic } from '../../../vault/outbox.ts';
import type { GatewayDeps } from '../kit/module.ts';
import type { Auth } from './auth.ts';
import { seal } from './message-crypto.ts';
import { paymentOperationJson, refundJson } from './operation-json.ts';

/** The documented resend delays: "after 5 sec, then after 30 sec, then after 5 min, then after 30 min, after 1 hour". */
export const CALLBACK_RETRIES_MS = [5_000, 30_000, 300_000, 1_800_000, 3_600_000] as const;

export function callbackTopic({ payments, cards }: Pick<GatewayDeps, 'payments' | 'cards'>, auth: Pick<Auth, 'byId'>): OutboxTopic {
  return {
    retryDelaysMs: CALLBACK_RETRIES_MS,
    async build(d: OutboxDelivery): Promise<OutboxRequest> {
      const credentialId = String(d.options.credentialId ?? '');
      // A credential revoked (or its merchant deleted) since: there is no key to seal to, nothing is sent.
      const cred = await auth.byId(credentialId, d.merchantId);
      if (!cred || !d.eventId) return null;
      const caller = { merchantId: d.merchantId, actor: `alliancepay:${credentialId}` };
      const found = await payments.followOn(caller, d.eventId);
      if (!found.ok) return null;
      const { payment, event } = found.value;
      const card = await cards.get(caller, payment.token);
      const encrypted = d.options.encrypted === true;
      const operation =
        event.type === 'refund'
          ? refundJson(payment, event, cred, card.ok ? card.value : null, { url: d.url, encrypted })
          : paymentOperationJson(payment, cred, card.ok ? card.value : null, event.outcome === 'approved' ? 'SUCCESS' : 'FAIL');
      const body = encrypted ? { jwe: await seal(operation, cred.value.merchantPublic) } : operation;
      return { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
    },
  };
}
