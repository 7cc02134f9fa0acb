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

const keyOf = (c: ReferenceClaim) => `ref:${c.namespace}:${c.reference}`;

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

/**
 * Records what a claimed reference names (a refund's or void's event id), in the commit that wrote it, so the
 * merchant can look the object up by its reference. A bound claim is never released.
 */
export const bindClaim = (q: Executor, merchantId: string, claim: ReferenceClaim, value: string): Promise<unknown> =>
  idempotencyStore.complete(q, merchantId, keyOf(claim), 200, value);

/** What a claimed reference names: null when it is unclaimed, or claimed but not bound (its call still running or refused). */
export async function claimedValue(q: Executor, merchantId: string, claim: ReferenceClaim): Promise<string | null> {
  const row = await idempotencyStore.get(q, merchantId, keyOf(claim));
  return row?.state === 'done' ? row.response : null;
}
