/**
 * Concurrent write traffic through the native API, OPay and AppotaPay, with every request written down:
 * what was sent, and whether it was acknowledged (2xx / the gateway's success), refused with an error
 * answer, or got no answer at all (ambiguous: it may or may not have been committed).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { appota, type Merchant, native, opay } from './clients.ts';
import { jsonOf, NoReply, type Reply, type Target } from './http.ts';
import { sleep } from './proc.ts';

export type Result = 'ack' | 'error' | 'ambiguous' | 'refused';
export type Phase = 'kill' | 'outage' | 'recovery';

interface Base {
  n: number;
  epoch: number;
  phase: Phase;
  /** ms since the ledger started, when the request was sent. */
  t0: number;
  ms: number;
  result: Result;
  status?: number;
  /** Why there was no answer (ECONNRESET, socket hang up, TIMEOUT, ECONNREFUSED). */
  noReply?: string;
  contentType?: string;
  /** The error code the answer carried: native `code`, OPay `code`, AppotaPay `errorCode`. */
  errorCode?: string;
  /** Sent on purpose to be refused (an unknown customer, a reused reference, an unknown token). */
  expectError?: boolean;
}

export type Rec = Base &
  (
    | {
        op: 'tokenize';
        rid: string;
        pan: string;
        expMonth: number;
        expYear: number;
        idem: string | null;
        token?: string;
      }
    | { op: 'update'; card: string; seq: number }
    | { op: 'status'; card: string; to: 'ACTIVE' | 'SUSPENDED' }
    | { op: 'pay'; rid: string; card: string; amount: number; idem: string | null; paymentId?: string; payStatus?: string }
    | { op: 'opay-create'; ref: string; pan: string; cid: string; token?: string }
    | { op: 'appota-token'; ref: string; pan: string; token?: string }
    | { op: 'appota-charge'; ref: string; tokenId: string; amount: number; chargeId?: string; chargeStatus?: string }
  );

export type Op = Rec['op'];
export const OPS: Op[] = ['tokenize', 'update', 'status', 'pay', 'opay-create', 'appota-token', 'appota-charge'];

export interface Fixtures {
  merchant: Merchant;
  /** Native cards each update loop owns (one loop per card: requests on a card are sequential). */
  updateCards: string[][];
  payCards: string[];
  appotaTokens: string[];
  /** An OPay reference already used, to send again (must be refused, leaving nothing behind). */
  usedOpayReference: string;
  baseYear: number;
  run: string;
}

/** The expiry a card update with sequence number `seq` sets (seq 0: the card as tokenized). */
export function expiryOf(seq: number, baseYear: number): { expMonth: number; expYear: number } {
  return { expMonth: (seq % 12) + 1, expYear: baseYear + 1 + (Math.floor(seq / 12) % 5) };
}

/** Where requests go: the live server, or nowhere while it is down. */
export class Gate {
  #target: Target | null = null;
  #waiters: (() => void)[] = [];
  stopped = false;

  open(t: Target): void {
    this.#target = t;
    for (const w of this.#waiters.splice(0)) w();
  }
  close(): void {
    this.#target = null;
  }
  stop(): void {
    this.stopped = true;
    for (const w of this.#waiters.splice(0)) w();
  }
  async wait(): Promise<Target | null> {
    while (!this.stopped && this.#target === null) await new Promise<void>((r) => this.#waiters.push(r));
    return this.stopped ? null : this.#target;
  }
}

export class Ledger {
  readonly records: Rec[] = [];
  readonly started = performance.now();
  epoch = 0;
  phase: Phase = 'kill';
  /** Requests sent and not yet answered (or failed). */
  inFlight = 0;
  #n = 0;
  /** Resolves when no request is in flight (or after `maxMs`). */
  async idle(maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    while (this.inFlight > 0 && Date.now() < until) await sleep(20);
  }
  next(): number {
    return ++this.#n;
  }
  now(): number {
    return performance.now() - this.started;
  }
}

function errorCodeOf(r: Reply): string | undefined {
  const b = jsonOf(r) as Record<string, unknown> | undefined;
  if (!b || typeof b !== 'object') return undefined;
  const c = b.code ?? b.errorCode;
  return c === undefined ? undefined : String(c);
}

/** Sends one request and fills in the outcome; `ack` says whether an answer is the API's success. */
async function attempt(
  ledger: Ledger,
  rec: Rec,
  call: () => Promise<Reply>,
  ack: (r: Reply, body: Record<string, unknown> | undefined) => boolean,
  onAck: (body: Record<string, unknown>) => void,
): Promise<Rec> {
  rec.t0 = ledger.now();
  rec.epoch = ledger.epoch;
  rec.phase = ledger.phase;
  ledger.inFlight++;
  try {
    const r = await call();
    rec.ms = r.ms;
    rec.status = r.status;
    rec.contentType = String(r.headers['content-type'] ?? '');
    const body = jsonOf(r) as Record<string, unknown> | undefined;
    if (ack(r, body) && body) {
      rec.result = 'ack';
      onAck(body);
    } else {
      rec.result = 'error';
      const code = errorCodeOf(r);
      if (code !== undefined) rec.errorCode = code;
    }
  } catch (e) {
    if (!(e instanceof NoReply)) throw e;
    rec.ms = e.ms;
    rec.noReply = e.code;
    rec.result = e.delivered ? 'ambiguous' : 'refused';
  } finally {
    ledger.inFlight--;
  }
  ledger.records.push(rec);
  return rec;
}

const base = (ledger: Ledger): Base => ({ n: ledger.next(), epoch: 0, phase: 'kill', t0: 0, ms: 0, result: 'ambiguous' });
const nativeOk = (r: Reply) => r.status >= 200 && r.status < 300;

export interface SenderOptions {
  ledger: Ledger;
  fx: Fixtures;
  nextPan: () => string;
}

export interface LoadOptions extends SenderOptions {
  gate: Gate;
}

/** After an answer that was not a success, or no answer: a short pause, so a down service is not spun on. */
const backoff = (rec: Rec) => (rec.result === 'ack' ? Promise.resolve() : sleep(randomInt(5, 25)));

/** Sends one request of its kind and writes it down; state (an update sender's cards) lives in the closure. */
type Sender = (t: Target) => Promise<Rec>;

const tokenizeSender =
  ({ ledger, fx, nextPan }: SenderOptions): Sender =>
  async (t) => {
    const n = ledger.next();
    const rid = `${fx.run}-t${n}`;
    const pan = nextPan();
    const { expMonth, expYear } = expiryOf(randomInt(0, 60), fx.baseYear);
    const idem = Math.random() < 0.5 ? `crash-${rid}` : null;
    // One in ten names a customer that does not exist: refused, and nothing may be left behind.
    const bad = Math.random() < 0.1;
    const rec: Rec = { ...base(ledger), op: 'tokenize', rid, pan, expMonth, expYear, idem, ...(bad ? { expectError: true } : {}) };
    return attempt(
      ledger,
      rec,
      () =>
        native(
          t,
          fx.merchant,
          'POST',
          '/v1/cards',
          { number: pan, expMonth, expYear, metadata: { rid }, ...(bad ? { customer: `cus_missing_${n}` } : {}) },
          idem ? { 'idempotency-key': idem } : {},
        ),
      nativeOk,
      (b) => {
        if (rec.op === 'tokenize') rec.token = String(b.token);
      },
    );
  };

/** Updates (expiry + metadata, 70%) and status changes (30%) on the cards of `fx.updateCards[index]`. */
function updateSender({ ledger, fx }: SenderOptions, index: number): (t: Target, force?: 'update' | 'status') => Promise<Rec> {
  const cards = fx.updateCards[index] ?? [];
  const seqs = new Map(cards.map((c) => [c, 0]));
  const believed = new Map<string, 'ACTIVE' | 'SUSPENDED' | null>(cards.map((c) => [c, 'ACTIVE']));
  return async (t, force) => {
    const card = cards[randomInt(0, cards.length)] as string;
    if (force === 'update' || (force === undefined && Math.random() < 0.7)) {
      const seq = (seqs.get(card) ?? 0) + 1;
      seqs.set(card, seq);
      const rec: Rec = { ...base(ledger), op: 'update', card, seq };
      return attempt(
        ledger,
        rec,
        () => native(t, fx.merchant, 'PATCH', `/v1/cards/${card}`, { ...expiryOf(seq, fx.baseYear), metadata: { seq: String(seq) } }),
        nativeOk,
        () => {},
      );
    }
    const now = believed.get(card);
    const to = now === 'ACTIVE' ? 'SUSPENDED' : now === 'SUSPENDED' ? 'ACTIVE' : Math.random() < 0.5 ? 'ACTIVE' : 'SUSPENDED';
    const rec: Rec = { ...base(ledger), op: 'status', card, to };
    await attempt(
      ledger,
      rec,
      () => native(t, fx.merchant, 'POST', `/v1/cards/${card}/status`, { status: to }),
      nativeOk,
      () => {},
    );
    believed.set(card, rec.result === 'ack' ? to : rec.result === 'ambiguous' ? null : (now ?? null));
    return rec;
  };
}

const paySender =
  ({ ledger, fx }: SenderOptions): Sender =>
  async (t) => {
    const n = ledger.next();
    const rid = `${fx.run}-p${n}`;
    const card = fx.payCards[randomInt(0, fx.payCards.length)] as string;
    const amount = randomInt(100, 100_000);
    const idem = Math.random() < 0.5 ? `crash-${rid}` : null;
    const rec: Rec = { ...base(ledger), op: 'pay', rid, card, amount, idem };
    return attempt(
      ledger,
      rec,
      () =>
        native(
          t,
          fx.merchant,
          'POST',
          '/v1/payments',
          { token: card, amount, currency: 'USD', reference: rid },
          idem ? { 'idempotency-key': idem } : {},
        ),
      nativeOk,
      (b) => {
        if (rec.op === 'pay') {
          rec.paymentId = String(b.id);
          rec.payStatus = String(b.status);
        }
      },
    );
  };

export const opayExpiryYear = (fx: Fixtures) => String((fx.baseYear + 2) % 100).padStart(2, '0');

const opaySender =
  ({ ledger, fx, nextPan }: SenderOptions): Sender =>
  async (t) => {
    const n = ledger.next();
    // One in ten reuses a reference already taken: OPay answers "duplicate", and must not create the customer.
    const dup = Math.random() < 0.1;
    const ref = dup ? fx.usedOpayReference : `${fx.run}-o${n}`;
    const cid = `${fx.run}-c${n}`;
    const pan = nextPan();
    const rec: Rec = { ...base(ledger), op: 'opay-create', ref, pan, cid, ...(dup ? { expectError: true } : {}) };
    return attempt(
      ledger,
      rec,
      () =>
        opay(t, fx.merchant, 'create', {
          reference: ref,
          cardNumber: pan,
          expiryMonth: '12',
          expiryYear: opayExpiryYear(fx),
          cardHolderName: 'Crash Test',
          customerInfo: { customerId: cid, customerName: 'Crash Test' },
        }),
      (r, b) => r.status === 200 && b?.code === '00000',
      (b) => {
        if (rec.op === 'opay-create') rec.token = String((b.data as Record<string, unknown>).opayToken);
      },
    );
  };

const appotaTokenSender =
  ({ ledger, fx, nextPan }: SenderOptions): Sender =>
  async (t) => {
    const n = ledger.next();
    const ref = `${fx.run}-a${n}`;
    const pan = nextPan();
    const rec: Rec = { ...base(ledger), op: 'appota-token', ref, pan };
    return attempt(
      ledger,
      rec,
      () =>
        appota(t, fx.merchant, 'POST', '/credit-card/token', {
          merchantRefId: ref,
          tokenType: 'MULTIPLE',
          card: { holderName: 'CRASH TEST', number: pan, expirationMonth: '12', expirationYear: opayExpiryYear(fx), cvv: '123' },
        }),
      (r) => r.status === 200,
      (b) => {
        if (rec.op === 'appota-token') rec.token = String(b.tokenId);
      },
    );
  };

const appotaChargeSender =
  ({ ledger, fx }: SenderOptions): Sender =>
  async (t) => {
    const n = ledger.next();
    const ref = `${fx.run}-g${n}`;
    // One in ten names a token that does not exist (AppotaPay 43): refused, nothing recorded.
    const bad = Math.random() < 0.1;
    const tokenId = bad
      ? `zz${randomUUID().replaceAll('-', '').slice(0, 24)}`
      : (fx.appotaTokens[randomInt(0, fx.appotaTokens.length)] as string);
    let amount = randomInt(10_000, 5_000_000);
    // Amounts ending in 51/52 are declined by the simulator: a decline is recorded (and answered as an error) by design.
    if (amount % 100 === 51 || amount % 100 === 52) amount += 10;
    const rec: Rec = { ...base(ledger), op: 'appota-charge', ref, tokenId, amount, ...(bad ? { expectError: true } : {}) };
    return attempt(
      ledger,
      rec,
      () => appota(t, fx.merchant, 'POST', '/credit-card/charge', { tokenId, amount, currency: 'VND', merchantRefId: ref, capture: true }),
      (r) => r.status === 200,
      (b) => {
        if (rec.op === 'appota-charge') {
          rec.chargeId = String(b.id);
          rec.chargeStatus = String(b.status);
        }
      },
    );
  };

/** 24 loops in flight: 5 tokenize, 4 update/status, 4 pay, 5 OPay create, 3 AppotaPay token, 3 AppotaPay charge. */
export const LOOPS: { name: string; count: number; make: (o: SenderOptions, index: number) => Sender }[] = [
  { name: 'tokenize', count: 5, make: tokenizeSender },
  { name: 'update', count: 4, make: (o, i) => updateSender(o, i) },
  { name: 'pay', count: 4, make: paySender },
  { name: 'opay', count: 5, make: opaySender },
  { name: 'appota-token', count: 3, make: appotaTokenSender },
  { name: 'appota-charge', count: 3, make: appotaChargeSender },
];

/** Update loops; the fixtures hold one more group of cards, for oneOfEach. */
export const UPDATE_LOOPS = LOOPS.find((l) => l.name === 'update')?.count ?? 0;

/** Starts every loop; they send while the gate is open and end when it is stopped. */
export function startLoad(o: LoadOptions): Promise<void> {
  const all: Promise<void>[] = [];
  for (const { count, make } of LOOPS) {
    for (let i = 0; i < count; i++) {
      const sendOne = make(o, i);
      all.push(
        (async () => {
          for (let t = await o.gate.wait(); t; t = await o.gate.wait()) await backoff(await sendOne(t));
        })(),
      );
    }
  }
  return Promise.all(all).then(() => {});
}

/** One request of every kind, one after another (the updates on the card group no loop owns). */
export function oneOfEach(o: SenderOptions): (t: Target) => Promise<Rec[]> {
  const update = updateSender(o, UPDATE_LOOPS);
  const senders: ((t: Target) => Promise<Rec>)[] = [
    tokenizeSender(o),
    (t) => update(t, 'update'),
    (t) => update(t, 'status'),
    paySender(o),
    opaySender(o),
    appotaTokenSender(o),
    appotaChargeSender(o),
  ];
  return async (t) => {
    const out: Rec[] = [];
    for (const s of senders) out.push(await s(t));
    return out;
  };
}
