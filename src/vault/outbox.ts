/**
 * The outbox: deliveries to a merchant's URL that report an outcome of the vault (AlliancePay's callbacks are
 * the first). Invariants:
 * - a delivery is written in the same transaction as the outcome it reports (`enqueueDelivery`), so an outcome
 *   is never committed without its delivery, nor a delivery without its outcome;
 * - any instance may deliver: `deliverDue` claims due rows by moving `claimed_until` past now (outbox-store.ts),
 *   so two loops never send the same attempt; a claim that outlives its instance expires and the row is taken up again;
 * - what is sent is built at delivery by the handler registered for the row's topic (the gateway decides the
 *   payload and its sealing); the row holds ids and options, never a card number or a body;
 * - each attempt is recorded: delivered (HTTP 200), due again after the topic's next retry delay, or failed
 *   for good when the delays are spent. Delivery is at least once: a receiver may see an attempt twice.
 */
import { randomUUID } from 'node:crypto';
import { newId } from '../domain/ids.ts';
import type { Executor } from '../store/db.ts';
import { outboxStore } from '../store/outbox-store.ts';
import type { OutboxRow } from '../store/schema.ts';
import { iso, parseJson, type VaultDeps } from './deps.ts';
import { postTo } from './egress.ts';

/** A delivery asked for with an outcome: where it goes, who builds it, and what that handler was asked for. */
export interface NotifyRequest {
  topic: string;
  url: string;
  options?: Record<string, string | number | boolean>;
}

/** One attempt as a topic's handler sees it. */
export interface OutboxDelivery {
  id: string;
  merchantId: string;
  paymentId: string | null;
  eventId: string | null;
  url: string;
  options: Record<string, string | number | boolean>;
  /** 1 for the first attempt. */
  attempt: number;
}

/** What a topic's handler sends, or null when there is nothing to send any more (the delivery is given up). */
export type OutboxRequest = { body: string; headers: Record<string, string> } | null;

export interface OutboxTopic {
  /** The waits after a failed attempt, in order: one retry each; when spent, the delivery has failed. */
  retryDelaysMs: readonly number[];
  build(delivery: OutboxDelivery): Promise<OutboxRequest>;
}

/** Sends one request: the HTTP status, or why there is none. */
export type Poster = (
  url: string,
  request: NonNullable<OutboxRequest>,
  timeoutMs: number,
) => Promise<{ status: number } | { error: string }>;

/**
 * POSTs with a timeout; redirects are not followed (a 3xx is an answer that is not 200); addresses that are
 * not public are refused unless `privateAddresses` (vault/egress.ts).
 */
export const httpPoster =
  (opts: { privateAddresses: boolean }): Poster =>
  (url, request, timeoutMs) =>
    postTo(url, request, timeoutMs, opts);

/** Writes a delivery in the transaction `tx` that records the outcome it reports. */
export async function enqueueDelivery(
  tx: Executor,
  merchantId: string,
  subject: { paymentId: string | null; eventId: string | null },
  notify: NotifyRequest,
  at: string,
): Promise<void> {
  await outboxStore.insert(tx, {
    id: newId('obx'),
    merchant_id: merchantId,
    topic: notify.topic,
    payment_id: subject.paymentId,
    event_id: subject.eventId,
    url: notify.url,
    options: notify.options ? JSON.stringify(notify.options) : null,
    next_attempt_at: at,
    created_at: at,
  });
}

export interface DeliveryResult {
  id: string;
  topic: string;
  attempt: number;
  outcome: 'delivered' | 'retry' | 'failed';
  /** `http 500`, `timeout`, `unreachable`, `no request`… */
  result: string;
}

export interface OutboxView {
  id: string;
  topic: string;
  paymentId: string | null;
  eventId: string | null;
  url: string;
  state: OutboxRow['state'];
  attempts: number;
  nextAttemptAt: string;
  lastResult: string | null;
  createdAt: string;
}

const view = (r: OutboxRow): OutboxView => ({
  id: r.id,
  topic: r.topic,
  paymentId: r.payment_id,
  eventId: r.event_id,
  url: r.url,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastResult: r.last_result,
  createdAt: r.created_at,
});

export function createOutboxService(deps: Pick<VaultDeps, 'db' | 'now'> & { callbackPrivateAddresses: boolean }) {
  const httpPost = httpPoster({ privateAddresses: deps.callbackPrivateAddresses });
  const { db } = deps;
  const topics = new Map<string, OutboxTopic>();

  async function attempt(row: OutboxRow, claim: string, post: Poster, timeoutMs: number): Promise<DeliveryResult> {
    const topic = topics.get(row.topic) as OutboxTopic;
    const n = row.attempts + 1;
    let result: string;
    let delivered = false;
    let final = false;
    try {
      const request = await topic.build({
        id: row.id,
        merchantId: row.merchant_id,
        paymentId: row.payment_id,
        eventId: row.event_id,
        url: row.url,
        options: parseJson<Record<string, string | number | boolean>>(row.options) ?? {},
        attempt: n,
      });
      if (request === null) {
        result = 'no request';
        final = true;
      } else {
        const sent = await post(row.url, request, timeoutMs);
        result = 'status' in sent ? `http ${sent.status}` : sent.error;
        delivered = 'status' in sent && sent.status === 200;
      }
    } catch {
      // A handler fault (the vault unreachable): the attempt counts, and is retried like a refused one.
      result = 'error';
    }
    const now = deps.now();
    const delay = topic.retryDelaysMs[n - 1];
    const outcome = delivered ? 'delivered' : final || delay === undefined ? 'failed' : 'retry';
    await outboxStore.finish(db, row.id, claim, {
      state: outcome === 'retry' ? 'pending' : outcome,
      attempts: n,
      ...(outcome === 'retry' ? { next_attempt_at: iso(new Date(now.getTime() + (delay as number))) } : {}),
      last_result: result,
      updated_at: iso(now),
    });
    return { id: row.id, topic: row.topic, attempt: n, outcome, result };
  }

  return {
    /** The handler that builds the deliveries of `topic` (a gateway, when its routes are registered). */
    register(topic: string, handler: OutboxTopic): void {
      topics.set(topic, handler);
    },

    /**
     * One step of the delivery loop: claims the due deliveries of the registered topics (at most `limit`) and
     * attempts each, POSTing with `timeoutMs`. The loop in server.ts calls it; a test calls it with its clock set.
     */
    async deliverDue(opts: { limit?: number; timeoutMs?: number; post?: Poster } = {}): Promise<DeliveryResult[]> {
      const timeoutMs = opts.timeoutMs ?? 10_000;
      const now = deps.now();
      const claim = randomUUID();
      const rows = await outboxStore.claimDue(db, {
        topics: [...topics.keys()],
        now: iso(now),
        // Held long enough for every attempt of the batch to end; then another instance may take the rest.
        until: iso(new Date(now.getTime() + 2 * timeoutMs + 30_000)),
        claim,
        limit: opts.limit ?? 20,
      });
      return Promise.all(rows.map((row) => attempt(row, claim, opts.post ?? httpPost, timeoutMs)));
    },

    /** The merchant's deliveries, oldest first (operators and tests). */
    async ofMerchant(merchantId: string): Promise<OutboxView[]> {
      return (await outboxStore.ofMerchant(db, merchantId)).map(view);
    },
  };
}

export type OutboxService = ReturnType<typeof createOutboxService>;
