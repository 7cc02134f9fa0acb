/**
 * The audit log: one hash chain per merchant (and 'system' for operator actions). Each event is appended
 * in the transaction of the change it records, so a change and its event commit or vanish together.
 * Invariants: seq is contiguous from 1 per chain; hash = SHA-256 over the event's fields and prev_hash;
 * the chain head row holds the last seq and hash, and its row lock orders concurrent appends.
 * Never put a PAN, CVV, key or secret in an event: targets are tokens and ids, details are short labels.
 * As a backstop, every text field is passed through the card-number detector before it is hashed, so no
 * caller can write a card number into a chain, where it could not be removed without breaking it.
 */
import { createHash } from 'node:crypto';
import { redactCardNumbers } from '../domain/pan-detector.ts';
import { auditStore } from '../store/audit-store.ts';
import type { Executor } from '../store/db.ts';
import type { AuditEventRow } from '../store/schema.ts';
import { currentRequestId } from './request-context.ts';

export const GENESIS = '0'.repeat(64);
export const SYSTEM_CHAIN = 'system';

export type Outcome = 'success' | 'failure' | 'denied';

export interface AuditEvent {
  /** null for operator actions on no merchant. */
  merchantId: string | null;
  /** Who did it: an API key id, 'admin', 'cli', or a gateway credential id. */
  actor: string;
  action: string;
  target?: string | null;
  outcome?: Outcome;
  detail?: Record<string, string | number | boolean | null>;
}

export function eventHash(e: Omit<AuditEventRow, 'hash'>): string {
  // A fixed field order in an array: the hash never depends on how an object happened to be built.
  const fields = [e.chain, e.seq, e.at, e.merchant_id, e.actor, e.action, e.target, e.outcome, e.detail, e.prev_hash];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

export const chainOf = (merchantId: string | null): string => merchantId ?? SYSTEM_CHAIN;

/** A number is kept as a number unless, written out, it is a card number. */
function redactedValue(v: string | number): string | number {
  if (typeof v === 'string') return redactCardNumbers(v);
  const text = String(v);
  const clean = redactCardNumbers(text);
  return clean === text ? v : clean;
}

/** Text fields with any card number replaced; booleans and null are kept as they are. */
function redacted(event: AuditEvent): AuditEvent {
  const detail = event.detail
    ? Object.fromEntries(
        Object.entries(event.detail).map(([k, v]) => [
          redactCardNumbers(k),
          typeof v === 'string' || typeof v === 'number' ? redactedValue(v) : v,
        ]),
      )
    : event.detail;
  return {
    ...event,
    actor: redactCardNumbers(event.actor),
    action: redactCardNumbers(event.action),
    target: typeof event.target === 'string' ? redactCardNumbers(event.target) : event.target,
    ...(detail ? { detail } : {}),
  };
}

/** An event written while serving an HTTP request names its request id in `detail` (hashed like the rest). */
function withRequestId(event: AuditEvent): AuditEvent {
  const requestId = currentRequestId();
  return requestId === null ? event : { ...event, detail: { ...event.detail, requestId } };
}

/** Appends one event inside the caller's transaction and returns it; card numbers in its text are redacted before hashing. */
export async function appendAudit(tx: Executor, sent: AuditEvent, at: string): Promise<AuditEventRow> {
  const event = redacted(withRequestId(sent));
  const chain = chainOf(event.merchantId);
  // Takes the head row's lock first (PostgreSQL), so concurrent appends to one chain queue here.
  const head = await auditStore.head(tx, chain);
  if (!head) throw new Error(`audit chain ${chain} has no head`);
  const row: Omit<AuditEventRow, 'hash'> = {
    chain,
    seq: Number(head.seq) + 1,
    at,
    merchant_id: event.merchantId,
    actor: event.actor,
    action: event.action,
    target: event.target ?? null,
    outcome: event.outcome ?? 'success',
    detail: event.detail ? JSON.stringify(event.detail) : null,
    prev_hash: head.hash,
  };
  const full: AuditEventRow = { ...row, hash: eventHash(row) };
  await auditStore.append(tx, full);
  return full;
}

/** Creates a merchant's chain; called in the merchant's creating transaction. */
export const createChain = (tx: Executor, merchantId: string) => auditStore.createHead(tx, merchantId, GENESIS);
