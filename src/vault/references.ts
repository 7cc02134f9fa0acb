/**
 * A merchant's own reference (OPay `reference`, AppotaPay `merchantRefId`) may be used once. The claim on it
 * is written in the same transaction as what it guards (the card, the payment), so a crash can never leave
 * a reference claimed without its object, and the merchant's retry with the same reference goes through.
 */
import type { Executor } from '../store/db.ts';
import { idempotencyStore, REFERENCE_CLAIM } from '../store/idempotency-store.ts';

export interface ReferenceClaim {
  namespace: string;
  reference: string;
}

/** Thrown inside a transaction when the reference was taken meanwhile: the transaction rolls back. */
export class ReferenceTaken extends Error {
  override name = 'ReferenceTaken';
}

/** The claim's key: also what a follow-on event records as its reference (payments.followOnByReference). */
export const referenceKey = (c: ReferenceClaim) => `ref:${c.namespace}:${c.reference}`;
const keyOf = referenceKey;

/** Claims the reference on `q` (a transaction, or the database for a commit of its own): false if taken. */
export const claimNow = (q: Executor, merchantId: string, claim: ReferenceClaim, at: string): Promise<boolean> =>
  idempotencyStore.claim(q, merchantId, keyOf(claim), REFERENCE_CLAIM, at);

export async function claimInTransaction(tx: Executor, merchantId: string, claim: ReferenceClaim, at: string): Promise<void> {
  if (!(await claimNow(tx, merchantId, claim, at))) throw new ReferenceTaken();
}

export async function releaseClaim(q: Executor, merchantId: string, claim: ReferenceClaim): Promise<void> {
  await idempotencyStore.release(q, merchantId, keyOf(claim));
}

export async function isReferenceTaken(q: Executor, merchantId: string, claim: ReferenceClaim): Promise<boolean> {
  return (await idempotencyStore.get(q, merchantId, keyOf(claim))) !== undefined;
}
