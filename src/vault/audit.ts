/** Reading, verifying and checkpointing the audit log. */

import { appendAudit } from '../audit/log.ts';
import { createCheckpoint, type SignedCheckpoint, verifyAuditLog } from '../audit/verify.ts';
import { type AuditListFilter, auditStore } from '../store/audit-store.ts';
import { inTransaction } from '../store/db.ts';
import type { AuditEventRow } from '../store/schema.ts';
import { type Caller, iso, type VaultDeps } from './deps.ts';

export interface AuditEventView {
  seq: number;
  at: string;
  merchant: string | null;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  detail: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export type AuditFilter = AuditListFilter;

const view = (r: AuditEventRow): AuditEventView => ({
  seq: Number(r.seq),
  at: r.at,
  merchant: r.merchant_id,
  actor: r.actor,
  action: r.action,
  target: r.target,
  outcome: r.outcome,
  detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export function createAuditService(deps: VaultDeps) {
  return {
    /** A merchant's own chain, oldest first, filtered; `nextSeq` continues the listing. */
    async list(caller: Caller, f: AuditFilter): Promise<{ items: AuditEventView[]; nextSeq: number | null }> {
      const rows = await auditStore.list(deps.db, caller.merchantId, { ...f, limit: f.limit + 1 });
      const page = rows.slice(0, f.limit);
      const last = page[page.length - 1];
      return { items: page.map(view), nextSeq: rows.length > f.limit && last ? Number(last.seq) : null };
    },
    /** Records a refusal (a failed authentication) on the merchant's chain, or the system chain when none is known. */
    async recordDenied(e: {
      merchantId: string | null;
      actor: string;
      action: string;
      detail: Record<string, string | number>;
    }): Promise<void> {
      const at = iso(deps.now());
      await inTransaction(deps.db, (tx) => appendAudit(tx, { ...e, outcome: 'denied' }, at));
    },
    verify: (external?: SignedCheckpoint) => verifyAuditLog(deps.db, deps.master, external),
    checkpoint: () => createCheckpoint(deps.db, deps.master, deps.now()),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
