/**
 * A merchant's own reference (OPay `reference`, AppotaPay `merchantRefId`) may be used once. The claim on it
 * is written in the same transaction as what it guards (the card, the payment), so a crash can never leave
 * a reference claimed without its object, and the merchant's retry with the same reference goes through.
 */
import type { Executor } from '../store/db.ts';
import { idempotencyStore } from '../store/idempotency-store.ts';

export interface ReferenceClaim {
  namespace: string;
  reference: string;
}

/** Thrown inside a transaction when the reference was taken meanwhile: the transaction rolls back. */
export class ReferenceTaken extends Error {
  override name = 'ReferenceTaken';
}

const keyOf = (c: ReferenceClaim) => `ref:${c.namespace}:${c.reference}`;

export async function claimInTransaction(tx: Executor, merchantId: string, claim: ReferenceClaim, at: string): Promise<void> {
  if (!(await idempotencyStore.claim(tx, merchantId, keyOf(claim), 'reference', at))) throw new ReferenceTaken();
}

export async function isReferenceTaken(q: Executor, merchantId: string, claim: ReferenceClaim): Promise<boolean> {
  return (await idempotencyStore.get(q, merchantId, keyOf(claim))) !== undefined;
}
