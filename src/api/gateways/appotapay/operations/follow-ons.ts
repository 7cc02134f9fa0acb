/**
 * Refunds of captured charges and reversals of authorizations (docs/appotapay.md "Refund", "Reversal"): create
 * and detail. Each is the vault's refund or void of the charge, its id the event it wrote (present.ts), its
 * `merchantRefId` claimed with the call (single-use, errorCode `4`) and bound to it for the detail by reference.
 */
import type { Caller } from '../../../../vault/deps.ts';
import type { VaultFailure } from '../../../../vault/errors.ts';
import type { PaymentEventView, PaymentService, PaymentView } from '../../../../vault/payments.ts';
import type { ReferenceClaim } from '../../../../vault/references.ts';
import { type Code, invalid, paymentFailure, refusal } from '../codes.ts';
import { type Body, text } from '../fields.ts';
import { eventIdOf, isCharge, refundJson, reversalJson } from '../present.ts';

export interface FollowOnDeps {
  payments: Pick<PaymentService, 'get' | 'refund' | 'void' | 'followOn' | 'followOnByReference'>;
  now: () => Date;
}

/** AppotaPay's smallest refund, in VND ("Min: 1000"). */
export const MIN_REFUND = 1000;
/** How long after the charge a refund may be made ("T+6 months"), and a reversal after the authorization ("T+7 days"). */
const REFUND_MONTHS = 6;
const REVERSAL_DAYS = 7;

const addMonths = (iso: string, months: number): number => {
  const d = new Date(iso);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
};

const duplicate = () => refusal(4, [{ field: 'merchantRefId', reason: 'already used' }]);

/** The charge a refund or reversal names (`14` unless it is a charge made through this API). */
async function chargeOf(payments: FollowOnDeps['payments'], caller: Caller, field: string, id: string): Promise<PaymentView> {
  const r = id.length <= 64 ? await payments.get(caller, id) : null;
  if (!r?.ok || !isCharge(r.value)) throw refusal(14, [{ field, reason: 'no such charge' }]);
  return r.value;
}

/**
 * The refund amount: a whole number of VND, as a JSON number (AppotaPay's example) or a string of digits (its
 * table says String); at least 1000 (`45`).
 */
function readRefundAmount(b: Body): number {
  const raw = b.amount;
  const amount = typeof raw === 'string' && /^[0-9]{1,15}$/.test(raw) ? Number(raw) : raw;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    throw invalid('amount', 'must be a positive whole number of VND');
  }
  const currency = text(b, 'currency', { max: 3, required: true });
  if (currency !== 'VND') throw invalid('currency', 'must be VND');
  if (amount < MIN_REFUND) throw refusal(45, [{ field: 'amount', reason: `must be at least ${MIN_REFUND} VND` }]);
  return amount;
}

/** Why a charge cannot be refunded now, as AppotaPay's code; null when it can. */
function refundRefusal(p: PaymentView, amount: number, now: Date): Code | null {
  if (p.status === 'REFUNDED') return 10;
  if (p.status !== 'CAPTURED' && p.status !== 'PARTIALLY_REFUNDED') return 11;
  if (now.getTime() > addMonths(p.createdAt, REFUND_MONTHS)) return 83;
  if (amount > p.capturedAmount - p.refundedAmount) return 12;
  return null;
}

/** Why an authorization cannot be reversed now; null when it can. */
function reversalRefusal(p: PaymentView, now: Date): Code | null {
  if (p.status === 'VOIDED') return 115;
  if (p.status !== 'AUTHORIZED' || p.capturedAmount > 0) return 116;
  if (now.getTime() > Date.parse(p.createdAt) + REVERSAL_DAYS * 86_400_000) return 114;
  return null;
}

/**
 * A refused vault call, as AppotaPay's code: the reference taken meanwhile (`4`), the charge changed meanwhile
 * (its state's code, read again), or the processor refusing (`failed`).
 */
async function followOnFailure(f: VaultFailure, recheck: () => Promise<Code | null>, failed: Code): Promise<ReturnType<typeof refusal>> {
  if (f.error === 'reference_taken') return duplicate();
  if (f.error === 'amount_exceeds_captured') return refusal(12);
  if (f.error === 'invalid_payment_state') return refusal((await recheck()) ?? failed);
  return paymentFailure(f);
}

export async function createRefund({ payments, now }: FollowOnDeps, caller: Caller, b: Body) {
  const transactionId = text(b, 'transactionId', { max: 64, required: true }) as string;
  const reference = text(b, 'merchantRefId', { max: 40, required: true }) as string;
  const amount = readRefundAmount(b);
  const charge = await chargeOf(payments, caller, 'transactionId', transactionId);
  const why = refundRefusal(charge, amount, now());
  if (why !== null) throw refusal(why);
  const claim: ReferenceClaim = { namespace: 'appotapay-refund', reference };
  const r = await payments.refund(caller, charge.id, amount, { reference: claim });
  if (!r.ok || !r.value.event) {
    const recheck = async () => {
      const fresh = await payments.get(caller, charge.id);
      return fresh.ok ? refundRefusal(fresh.value, amount, now()) : 14;
    };
    throw await followOnFailure(r.ok ? { ok: false, error: 'invalid_payment_state' } : r, recheck, 25);
  }
  return refundJson(r.value.event, r.value);
}

export async function createReversal({ payments, now }: FollowOnDeps, caller: Caller, b: Body) {
  const authorizationId = text(b, 'authorizationId', { max: 64, required: true }) as string;
  const reference = text(b, 'merchantRefId', { max: 40, required: true }) as string;
  const charge = await chargeOf(payments, caller, 'authorizationId', authorizationId);
  const why = reversalRefusal(charge, now());
  if (why !== null) throw refusal(why);
  const claim: ReferenceClaim = { namespace: 'appotapay-reversal', reference };
  const r = await payments.void(caller, charge.id, { reference: claim });
  if (!r.ok || !r.value.event) {
    const recheck = async () => {
      const fresh = await payments.get(caller, charge.id);
      return fresh.ok ? reversalRefusal(fresh.value, now()) : 14;
    };
    throw await followOnFailure(r.ok ? { ok: false, error: 'invalid_payment_state' } : r, recheck, 113);
  }
  return reversalJson(r.value.event, r.value);
}

/** A refund or reversal by AppotaPay's id (default) or the merchant's reference; `missing` when there is none. */
async function findFollowOn(
  payments: FollowOnDeps['payments'],
  caller: Caller,
  id: string,
  query: Body,
  kind: { type: 'refund' | 'void'; namespace: string; missing: Code },
): Promise<{ payment: PaymentView; event: PaymentEventView }> {
  const type = query.referenceType ?? 'APPOTAPAY_REFERENCE_ID';
  if (type !== 'APPOTAPAY_REFERENCE_ID' && type !== 'MERCHANT_REFERENCE_ID')
    throw invalid('referenceType', 'must be APPOTAPAY_REFERENCE_ID or MERCHANT_REFERENCE_ID');
  let found: Awaited<ReturnType<FollowOnDeps['payments']['followOn']>> | null = null;
  if (type === 'MERCHANT_REFERENCE_ID') {
    if (id.length <= 40) found = await payments.followOnByReference(caller, { namespace: kind.namespace, reference: id });
  } else {
    const eventId = eventIdOf(id);
    if (eventId) found = await payments.followOn(caller, eventId);
  }
  if (!found?.ok || found.value.event.type !== kind.type || !isCharge(found.value.payment)) throw refusal(kind.missing);
  return found.value;
}

export async function getRefund({ payments }: FollowOnDeps, caller: Caller, id: string, query: Body) {
  const { event, payment } = await findFollowOn(payments, caller, id, query, {
    type: 'refund',
    namespace: 'appotapay-refund',
    missing: 111,
  });
  return refundJson(event, payment);
}

export async function getReversal({ payments }: FollowOnDeps, caller: Caller, id: string, query: Body) {
  const { event, payment } = await findFollowOn(payments, caller, id, query, {
    type: 'void',
    namespace: 'appotapay-reversal',
    missing: 112,
  });
  return reversalJson(event, payment);
}
