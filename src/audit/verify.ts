/**
 * Recomputes every audit chain and checks the newest signed checkpoint. Editing an event breaks its hash;
 * deleting or reordering events breaks seq or prev_hash; deleting the newest events (and rewinding the
 * head) is caught by the checkpoint, whose signature needs the master key to forge.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import type { MasterKeyProvider } from '../crypto/master-key.ts';
import { auditStore } from '../store/audit-store.ts';
import type { Db } from '../store/db.ts';
import { MASTER_WRAPPED } from '../store/encrypted-fields.ts';
import { merchantStore } from '../store/merchant-store.ts';
import { eventHash, GENESIS } from './log.ts';

export interface ChainBreak {
  chain: string;
  seq: number;
  reason: string;
}

export interface CheckpointResult {
  id: string;
  at: string;
  ok: boolean;
  reason?: string;
}

export interface VerifyReport {
  ok: boolean;
  chains: number;
  events: number;
  firstBreak: ChainBreak | null;
  checkpoint: CheckpointResult | null;
}

const SIGNING_KEY_SETTING = MASTER_WRAPPED.auditSigningKey.setting;
const SIGNING_AAD = MASTER_WRAPPED.auditSigningKey.aad();
const BATCH = 1000;

interface CheckpointPayload {
  id: string;
  at: string;
  heads: Record<string, { seq: number; hash: string }>;
}

/** The Ed25519 key that signs checkpoints: made once, its private half wrapped by the master key. */
async function signingKey(db: Db, master: MasterKeyProvider): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  let wrapped = await merchantStore.getSetting(db, SIGNING_KEY_SETTING);
  if (!wrapped) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    wrapped = await merchantStore.putSettingIfAbsent(db, SIGNING_KEY_SETTING, await master.wrap(der, SIGNING_AAD));
  }
  const privateKey = createPrivateKey({ key: await master.unwrap(wrapped, SIGNING_AAD), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Signs the current head of every chain. */
export async function createCheckpoint(
  db: Db,
  master: MasterKeyProvider,
  now: Date,
): Promise<SignedCheckpoint & { chains: number; heads: CheckpointPayload['heads'] }> {
  const { privateKey } = await signingKey(db, master);
  const heads = await auditStore.heads(db);
  const payload: CheckpointPayload = {
    id: randomUUID(),
    at: now.toISOString(),
    heads: Object.fromEntries(heads.map((h) => [h.chain, { seq: Number(h.seq), hash: h.hash }])),
  };
  const text = JSON.stringify(payload);
  const signature = sign(null, Buffer.from(text), privateKey).toString('base64');
  await auditStore.insertCheckpoint(db, { id: payload.id, at: payload.at, payload: text, signature });
  return { id: payload.id, at: payload.at, payload: text, signature, chains: heads.length, heads: payload.heads };
}

async function verifyChain(
  db: Db,
  chain: string,
  head: { seq: number; hash: string },
): Promise<{ events: number; brk: ChainBreak | null }> {
  let expectedSeq = 1;
  let prev = GENESIS;
  let events = 0;
  for (;;) {
    const rows = await auditStore.eventsFrom(db, chain, expectedSeq, BATCH);
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) return { events, brk: { chain, seq: expectedSeq, reason: `event ${expectedSeq} is missing` } };
      if (row.prev_hash !== prev) return { events, brk: { chain, seq, reason: 'prev_hash does not match the event before' } };
      const { hash, ...rest } = row;
      if (eventHash({ ...rest, seq }) !== hash) return { events, brk: { chain, seq, reason: 'event content does not match its hash' } };
      prev = hash;
      expectedSeq++;
      events++;
    }
    if (rows.length < BATCH) break;
  }
  if (head.seq !== expectedSeq - 1 || head.hash !== prev) {
    return { events, brk: { chain, seq: expectedSeq, reason: `chain head says ${head.seq} events, found ${expectedSeq - 1}` } };
  }
  return { events, brk: null };
}

/** A checkpoint as kept outside the database: `audit checkpoint --out FILE` writes it. */
export interface SignedCheckpoint {
  id: string;
  at: string;
  payload: string;
  signature: string;
}

async function verifyCheckpoint(db: Db, master: MasterKeyProvider, external?: SignedCheckpoint): Promise<CheckpointResult | null> {
  // A checkpoint kept outside the database also survives an attacker who deletes the stored ones.
  const latest = external ?? (await auditStore.latestCheckpoint(db));
  if (!latest) return null;
  const { publicKey } = await signingKey(db, master);
  const base = { id: latest.id, at: latest.at };
  if (!verify(null, Buffer.from(latest.payload), publicKey, Buffer.from(latest.signature, 'base64'))) {
    return { ...base, ok: false, reason: 'checkpoint signature does not verify' };
  }
  const payload = JSON.parse(latest.payload) as CheckpointPayload;
  for (const [chain, head] of Object.entries(payload.heads)) {
    if (head.seq === 0) continue;
    const hash = await auditStore.eventHash(db, chain, head.seq);
    if (hash === undefined) return { ...base, ok: false, reason: `chain ${chain}: event ${head.seq}, signed at the checkpoint, is gone` };
    if (hash !== head.hash) return { ...base, ok: false, reason: `chain ${chain}: event ${head.seq} differs from the signed checkpoint` };
  }
  return { ...base, ok: true };
}

export async function verifyAuditLog(db: Db, master: MasterKeyProvider, external?: SignedCheckpoint): Promise<VerifyReport> {
  const heads = new Map((await auditStore.heads(db)).map((h) => [h.chain, h]));
  // Chains are taken from the events too: deleting a head row must not hide its chain from the check.
  const chains = new Set([...heads.keys(), ...(await auditStore.chainsWithEvents(db))]);
  let events = 0;
  let firstBreak: ChainBreak | null = null;
  for (const chain of [...chains].sort()) {
    const head = heads.get(chain);
    const r = await verifyChain(db, chain, head ? { seq: Number(head.seq), hash: head.hash } : { seq: -1, hash: '' });
    events += r.events;
    const brk = r.brk && !head && r.brk.reason.startsWith('chain head') ? { ...r.brk, reason: 'the chain head row is missing' } : r.brk;
    if (brk && !firstBreak) firstBreak = brk;
  }
  const checkpoint = await verifyCheckpoint(db, master, external);
  return { ok: firstBreak === null && (checkpoint?.ok ?? true), chains: chains.size, events, firstBreak, checkpoint };
}
