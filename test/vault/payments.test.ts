/**
 * The payment service called directly (not over HTTP), with a processor whose answers the test decides:
 * status rules of each call, the single-use reservation, and that the stored status is always the one the
 * domain's settledStatus gives for the stored amounts (one home for the rule).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledStatus } from '../../src/domain/payment.ts';
import type { PaymentView } from '../../src/vault/payments.ts';
import { fakeProcessor } from './fake-processor.ts';
import { openTestVault, type TestVault } from './open-test-vault.ts';

const fake = fakeProcessor();
let t: TestVault;
beforeAll(async () => {
  t = await openTestVault({ processor: fake.processor });
});
afterAll(() => t.close());

const card = async (usage: 'SINGLE' | 'MULTIPLE' = 'MULTIPLE') => {
  const r = await t.vault.cards.tokenize(t.caller, { pan: '4111111111111111', expiry: { month: 12, year: 2032 }, usage });
  if (!r.ok) throw new Error(r.error);
  return r.value.card.token;
};

const ok = <T>(r: { ok: true; value: T } | { ok: false; error: string }): T => {
  if (!r.ok) throw new Error(`expected ok, got ${r.error}`);
  return r.value;
};

const settledAgrees = (p: PaymentView) =>
  expect(p.status).toBe(settledStatus({ authorized: p.authorizedAmount, captured: p.capturedAmount, refunded: p.refundedAmount }));

describe('authorize, capture, refund, void', () => {
  it('moves the amounts within their bounds, with the status the domain gives them', async () => {
    const token = await card();
    const p = ok(await t.vault.payments.authorize(t.caller, { token, amount: 1000, currency: 'USD', capture: false }));
    expect(p).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: 1000, capturedAmount: 0 });
    settledAgrees(p);
    const c1 = ok(await t.vault.payments.capture(t.caller, p.id, 400));
    expect(c1).toMatchObject({ status: 'CAPTURED', capturedAmount: 400 });
    settledAgrees(c1);
    expect(await t.vault.payments.capture(t.caller, p.id, 700)).toMatchObject({ ok: false, error: 'amount_exceeds_authorized' });
    const c2 = ok(await t.vault.payments.capture(t.caller, p.id));
    expect(c2.capturedAmount).toBe(1000);
    const r1 = ok(await t.vault.payments.refund(t.caller, p.id, 300));
    expect(r1).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 300 });
    settledAgrees(r1);
    // Once refunded, no more captures.
    expect(await t.vault.payments.capture(t.caller, p.id, 1)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
    expect(await t.vault.payments.refund(t.caller, p.id, 701)).toMatchObject({ ok: false, error: 'amount_exceeds_captured' });
    const r2 = ok(await t.vault.payments.refund(t.caller, p.id));
    expect(r2).toMatchObject({ status: 'REFUNDED', refundedAmount: 1000 });
    settledAgrees(r2);
    expect(await t.vault.payments.refund(t.caller, p.id, 1)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
    const history = ok(await t.vault.payments.get(t.caller, p.id)).history?.map((e) => `${e.type}:${e.statusAfter}`);
    expect(history).toEqual([
      'authorize:AUTHORIZED',
      'capture:CAPTURED',
      'capture:CAPTURED',
      'refund:PARTIALLY_REFUNDED',
      'refund:REFUNDED',
    ]);
  });

  it('gives a refused capture or refund back, and the status follows the amounts again', async () => {
    const token = await card();
    const p = ok(await t.vault.payments.authorize(t.caller, { token, amount: 500, currency: 'USD', capture: false }));
    fake.answer('decline');
    expect(await t.vault.payments.capture(t.caller, p.id, 200)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
    const after = ok(await t.vault.payments.get(t.caller, p.id));
    expect(after).toMatchObject({ status: 'AUTHORIZED', capturedAmount: 0 });
    ok(await t.vault.payments.capture(t.caller, p.id));
    fake.answer('unavailable');
    expect(await t.vault.payments.refund(t.caller, p.id, 100)).toMatchObject({ ok: false, error: 'processor_unavailable' });
    const back = ok(await t.vault.payments.get(t.caller, p.id));
    expect(back).toMatchObject({ status: 'CAPTURED', capturedAmount: 500, refundedAmount: 0 });
    settledAgrees(back);
  });

  it('voids only an uncaptured authorization; a refused void leaves it authorized', async () => {
    const token = await card();
    const captured = ok(await t.vault.payments.authorize(t.caller, { token, amount: 100, currency: 'USD' }));
    expect(captured.status).toBe('CAPTURED');
    expect(await t.vault.payments.void(t.caller, captured.id)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
    const auth = ok(await t.vault.payments.authorize(t.caller, { token, amount: 100, currency: 'USD', capture: false }));
    fake.answer('decline');
    expect(await t.vault.payments.void(t.caller, auth.id)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
    expect(ok(await t.vault.payments.get(t.caller, auth.id)).status).toBe('AUTHORIZED');
    expect(ok(await t.vault.payments.void(t.caller, auth.id)).status).toBe('VOIDED');
    expect(await t.vault.payments.capture(t.caller, auth.id)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
  });

  it('records a decline, and a challenge that completes or fails', async () => {
    const token = await card();
    fake.answer('decline');
    expect(ok(await t.vault.payments.authorize(t.caller, { token, amount: 100, currency: 'USD' }))).toMatchObject({
      status: 'DECLINED',
      declineCode: 'do_not_honor',
    });
    fake.answer('challenge');
    const pending = ok(await t.vault.payments.authorize(t.caller, { token, amount: 100, currency: 'USD', capture: false }));
    expect(pending.status).toBe('PENDING_AUTHENTICATION');
    expect(ok(await t.vault.payments.authenticate(t.caller, pending.id, true))).toMatchObject({
      status: 'AUTHORIZED',
      authorizedAmount: 100,
    });
    expect(await t.vault.payments.authenticate(t.caller, pending.id, true)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
    fake.answer('challenge');
    const failing = ok(await t.vault.payments.authorize(t.caller, { token, amount: 100, currency: 'USD' }));
    expect(ok(await t.vault.payments.authenticate(t.caller, failing.id, false)).status).toBe('FAILED');
  });
});

describe('single-use tokens', () => {
  it('are consumed by an approved payment and refused afterwards', async () => {
    const token = await card('SINGLE');
    ok(await t.vault.payments.authorize(t.caller, { token, amount: 100, currency: 'USD' }));
    expect(ok(await t.vault.cards.get(t.caller, token)).status).toBe('CONSUMED');
    expect(await t.vault.payments.authorize(t.caller, { token, amount: 100, currency: 'USD' })).toMatchObject({
      ok: false,
      error: 'token_consumed',
    });
  });

  it('are given back after a decline, a timeout or a failed challenge', async () => {
    const token = await card('SINGLE');
    fake.answer('decline');
    ok(await t.vault.payments.authorize(t.caller, { token, amount: 100, currency: 'USD' }));
    expect(ok(await t.vault.cards.get(t.caller, token)).status).toBe('ACTIVE');
    fake.answer('unavailable');
    expect(await t.vault.payments.authorize(t.caller, { token, amount: 100, currency: 'USD' })).toMatchObject({
      ok: false,
      error: 'processor_unavailable',
    });
    expect(ok(await t.vault.cards.get(t.caller, token)).status).toBe('ACTIVE');
    fake.answer('challenge');
    const pending = ok(await t.vault.payments.authorize(t.caller, { token, amount: 100, currency: 'USD' }));
    expect(ok(await t.vault.cards.get(t.caller, token)).status).toBe('CONSUMED');
    ok(await t.vault.payments.authenticate(t.caller, pending.id, false));
    expect(ok(await t.vault.cards.get(t.caller, token)).status).toBe('ACTIVE');
  });

  it('a suspended card never reaches the processor', async () => {
    const token = await card();
    await t.vault.cards.setStatus(t.caller, token, 'SUSPENDED', null);
    const before = fake.calls;
    expect(await t.vault.payments.authorize(t.caller, { token, amount: 100, currency: 'USD' })).toMatchObject({
      ok: false,
      error: 'token_suspended',
    });
    expect(fake.calls).toBe(before);
  });
});

describe('follow-on calls as resources of their own', () => {
  it("claims a refund's or void's merchant reference with it: freed when the processor refuses or does not answer, bound once it succeeds", async () => {
    const token = await card();
    const p = ok(await t.vault.payments.authorize(t.caller, { token, amount: 1000, currency: 'USD', capture: true }));
    const claim = { namespace: 'test-refund', reference: 'RF-1' };
    fake.answer('decline');
    expect(await t.vault.payments.refund(t.caller, p.id, 100, { reference: claim })).toMatchObject({
      ok: false,
      error: 'invalid_payment_state',
    });
    fake.answer('unavailable');
    expect(await t.vault.payments.refund(t.caller, p.id, 100, { reference: claim })).toMatchObject({
      ok: false,
      error: 'processor_unavailable',
    });
    expect(await t.vault.payments.followOnByReference(t.caller, claim)).toMatchObject({ ok: false, error: 'payment_not_found' });
    const done = ok(await t.vault.payments.refund(t.caller, p.id, 100, { reference: claim }));
    expect(done.event?.detail).toEqual({ reference: 'RF-1' });
    const found = ok(await t.vault.payments.followOnByReference(t.caller, claim));
    expect(found.event).toEqual(done.event);
    // Used: a second call with it is refused before anything moves.
    const calls = fake.calls;
    expect(await t.vault.payments.refund(t.caller, p.id, 100, { reference: claim })).toMatchObject({ ok: false, error: 'reference_taken' });
    expect(fake.calls).toBe(calls);
    expect(ok(await t.vault.payments.get(t.caller, p.id)).refundedAmount).toBe(100);
    // A void's claim is the same, in its own namespace here.
    const a = ok(await t.vault.payments.authorize(t.caller, { token, amount: 500, currency: 'USD', capture: false }));
    const voidClaim = { namespace: 'test-void', reference: 'RF-1' };
    const voided = ok(await t.vault.payments.void(t.caller, a.id, { reference: voidClaim }));
    expect(ok(await t.vault.payments.followOnByReference(t.caller, voidClaim)).event.id).toBe(voided.event?.id);
    expect(await t.vault.payments.followOnByReference({ ...t.caller, merchantId: 'mer_other' }, voidClaim)).toMatchObject({ ok: false });
  });

  it('each capture and refund answers its own event, readable by its id with the payment as it stands', async () => {
    const token = await card();
    const p = ok(await t.vault.payments.authorize(t.caller, { token, amount: 1000, currency: 'USD', capture: true }));
    const r1 = ok(await t.vault.payments.refund(t.caller, p.id, 300));
    const r2 = ok(await t.vault.payments.refund(t.caller, p.id, 200));
    expect(r1.event).toMatchObject({ type: 'refund', amount: 300, outcome: 'approved', statusAfter: 'PARTIALLY_REFUNDED' });
    expect(r2.event).toMatchObject({ type: 'refund', amount: 200, outcome: 'approved' });
    expect(r1.event?.id).toMatch(/^pev_/);
    expect(r2.event?.id).not.toBe(r1.event?.id);
    const read = ok(await t.vault.payments.followOn(t.caller, r1.event?.id as string));
    expect(read.event).toEqual(r1.event);
    expect(read.payment).toMatchObject({ id: p.id, refundedAmount: 500 });
    // The payment's history lists the same events, with the same ids.
    expect(read.payment.history?.map((e) => e.id)).toEqual(expect.arrayContaining([r1.event?.id, r2.event?.id]));
    expect(await t.vault.payments.followOn(t.caller, 'pev_nope')).toMatchObject({ ok: false, error: 'payment_not_found' });
    // Another merchant cannot read it.
    expect(await t.vault.payments.followOn({ ...t.caller, merchantId: 'mer_other' }, r1.event?.id as string)).toMatchObject({
      ok: false,
      error: 'payment_not_found',
    });
  });
});

describe('voiding a capture, a refund or a credit; reversing part of an authorization', () => {
  // Event ids in a caller's own format (as a gateway draws them); unique per run, the database may be shared.
  const run = randomUUID().slice(0, 8);
  const ids = { capture_1: `evt_c_${run}`, void_1: `evt_v_${run}`, credit_void: `evt_cv_${run}`, rev_1: `evt_r_${run}` };

  it("a void undoes that capture's or refund's own amount move, once, with the status the domain gives", async () => {
    const token = await card();
    const p = ok(await t.vault.payments.authorize(t.caller, { token, amount: 1000, currency: 'USD', capture: false }));
    const c1 = ok(await t.vault.payments.capture(t.caller, p.id, 600, { eventId: () => ids.capture_1 }));
    expect(c1.event?.id).toBe(ids.capture_1);
    const r1 = ok(await t.vault.payments.refund(t.caller, p.id, 200));
    // The capture's refunds stand: it cannot be voided yet.
    expect(await t.vault.payments.voidFollowOn(t.caller, ids.capture_1)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
    const vr = ok(await t.vault.payments.voidFollowOn(t.caller, r1.event?.id as string, { eventId: () => ids.void_1 }));
    expect(vr).toMatchObject({ status: 'CAPTURED', capturedAmount: 600, refundedAmount: 0 });
    expect(vr.event).toMatchObject({ id: ids.void_1, type: 'void', amount: 200, outcome: 'approved', statusAfter: 'CAPTURED' });
    expect(vr.event?.detail).toEqual({ voids: r1.event?.id, of: 'refund' });
    settledAgrees(vr);
    // Twice is refused, and changes nothing.
    expect(await t.vault.payments.voidFollowOn(t.caller, r1.event?.id as string)).toMatchObject({
      ok: false,
      error: 'invalid_payment_state',
    });
    const vc = ok(await t.vault.payments.voidFollowOn(t.caller, ids.capture_1));
    expect(vc).toMatchObject({ status: 'AUTHORIZED', capturedAmount: 0, authorizedAmount: 1000 });
    settledAgrees(vc);
    // A void is not voidable; an unknown id, or another merchant's, is not found.
    expect(await t.vault.payments.voidFollowOn(t.caller, vc.event?.id as string)).toMatchObject({
      ok: false,
      error: 'invalid_payment_state',
    });
    expect(await t.vault.payments.voidFollowOn(t.caller, 'pev_nope')).toMatchObject({ ok: false, error: 'payment_not_found' });
    expect(await t.vault.payments.voidFollowOn({ ...t.caller, merchantId: 'mer_other' }, ids.capture_1)).toMatchObject({
      ok: false,
      error: 'payment_not_found',
    });
    // The authorization can be captured again after its capture was voided.
    expect(ok(await t.vault.payments.capture(t.caller, p.id, 1000)).capturedAmount).toBe(1000);
  });

  it('a processor refusal of the void puts the amounts back and records the void as declined', async () => {
    const token = await card();
    const p = ok(await t.vault.payments.authorize(t.caller, { token, amount: 500, currency: 'USD', capture: false }));
    const cap = ok(await t.vault.payments.capture(t.caller, p.id, 500));
    fake.answer('decline');
    expect(await t.vault.payments.voidFollowOn(t.caller, cap.event?.id as string)).toMatchObject({
      ok: false,
      error: 'invalid_payment_state',
    });
    const after = ok(await t.vault.payments.get(t.caller, p.id));
    expect(after).toMatchObject({ status: 'CAPTURED', capturedAmount: 500 });
    expect(after.history?.at(-1)).toMatchObject({ type: 'void', outcome: 'declined', statusAfter: 'CAPTURED' });
    // A declined void does not count: the capture can still be voided.
    expect(ok(await t.vault.payments.voidFollowOn(t.caller, cap.event?.id as string))).toMatchObject({
      status: 'AUTHORIZED',
      capturedAmount: 0,
    });
  });

  it('a sale (captured at authorization) is voided through its authorization event', async () => {
    const token = await card();
    const p = ok(await t.vault.payments.authorize(t.caller, { token, amount: 700, currency: 'USD', capture: true }));
    const auth = ok(await t.vault.payments.get(t.caller, p.id)).history?.[0];
    expect(auth).toMatchObject({ type: 'authorize', statusAfter: 'CAPTURED' });
    expect(ok(await t.vault.payments.voidFollowOn(t.caller, auth?.id as string))).toMatchObject({
      status: 'AUTHORIZED',
      capturedAmount: 0,
    });
  });

  it('a credit can be voided once, through voidCredit only', async () => {
    const token = await card();
    const cr = ok(await t.vault.payments.credit(t.caller, { token, amount: 300, currency: 'USD', capture: true }));
    expect(cr.status).toBe('CREDITED');
    // The plain void keeps refusing credits (the native API's rule); voidCredit is the call for them.
    expect(await t.vault.payments.void(t.caller, cr.id)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
    const v = ok(await t.vault.payments.voidCredit(t.caller, cr.id, { eventId: () => ids.credit_void }));
    expect(v).toMatchObject({ status: 'VOIDED' });
    expect(v.event).toMatchObject({ id: ids.credit_void, type: 'void', outcome: 'approved' });
    expect(await t.vault.payments.voidCredit(t.caller, cr.id)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
    // A refused credit void gives the credit back its status.
    const cr2 = ok(await t.vault.payments.credit(t.caller, { token, amount: 300, currency: 'USD', capture: true }));
    fake.answer('decline');
    expect(await t.vault.payments.voidCredit(t.caller, cr2.id)).toMatchObject({ ok: false });
    // And an authorization is not a credit.
    const auth = ok(await t.vault.payments.authorize(t.caller, { token, amount: 300, currency: 'USD', capture: false }));
    expect(await t.vault.payments.voidCredit(t.caller, auth.id)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
    expect(ok(await t.vault.payments.get(t.caller, cr2.id)).status).toBe('CREDITED');
  });

  it('reverses part of an authorization, then the rest after a partial capture; the whole of it is a void', async () => {
    const token = await card();
    const p = ok(await t.vault.payments.authorize(t.caller, { token, amount: 1000, currency: 'USD', capture: false }));
    const r1 = ok(await t.vault.payments.reverse(t.caller, p.id, 300, { eventId: () => ids.rev_1 }));
    expect(r1).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: 700 });
    expect(r1.event).toMatchObject({ id: ids.rev_1, type: 'reverse', amount: 300 });
    expect(await t.vault.payments.capture(t.caller, p.id, 701)).toMatchObject({ ok: false, error: 'amount_exceeds_authorized' });
    ok(await t.vault.payments.capture(t.caller, p.id, 500));
    expect(await t.vault.payments.reverse(t.caller, p.id, 201)).toMatchObject({ ok: false, error: 'amount_exceeds_authorized' });
    const r2 = ok(await t.vault.payments.reverse(t.caller, p.id, 200));
    expect(r2).toMatchObject({ status: 'CAPTURED', authorizedAmount: 500, capturedAmount: 500 });
    settledAgrees(r2);
    const q = ok(await t.vault.payments.authorize(t.caller, { token, amount: 400, currency: 'USD', capture: false }));
    expect(ok(await t.vault.payments.reverse(t.caller, q.id, 400))).toMatchObject({ status: 'VOIDED' });
    expect(await t.vault.payments.reverse(t.caller, q.id, 1)).toMatchObject({ ok: false, error: 'invalid_payment_state' });
  });
});
