/**
 * The gateway kit called directly: the one field reader (each fault as the gateway's `refuse` sees it), the body
 * parse, and the one credential resolver over a real vault (unknown, built once, rebuilt when its row changes,
 * refused once its merchant is deleted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseObject } from '../../../src/api/gateways/kit/body.ts';
import { credentialResolver } from '../../../src/api/gateways/kit/credentials.ts';
import { type FieldIssue, fieldReader } from '../../../src/api/gateways/kit/fields.ts';
import { openTestVault, type TestVault } from '../../vault/open-test-vault.ts';

class Fault extends Error {
  constructor(
    readonly field: string,
    readonly issue: FieldIssue,
  ) {
    super(`${field}: ${issue.kind}`);
  }
}
const read = fieldReader((field, issue) => new Fault(field, issue));
const fault = (f: () => unknown): { field: string; issue: FieldIssue } | null => {
  try {
    f();
    return null;
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    return { field: e.field, issue: e.issue };
  }
};

describe('fieldReader', () => {
  it('reads absent, null and "" alike unless a minimum is given', () => {
    for (const v of [undefined, null, '']) expect(read.str({ a: v }, 'a', { max: 5 })).toBeUndefined();
    expect(fault(() => read.need({ a: '' }, 'a', { max: 5 }))).toEqual({ field: 'a', issue: { kind: 'missing' } });
    expect(read.str({ a: '' }, 'a', { min: 0, max: 5 })).toBe('');
    expect(fault(() => read.str({ a: '' }, 'a', { min: 1, max: 5 }))).toEqual({ field: 'a', issue: { kind: 'tooShort', min: 1, max: 5 } });
  });

  it('checks type, bounds, format, control characters and card numbers, in that order', () => {
    expect(fault(() => read.str({ a: 5 }, 'a', { max: 5 }))?.issue).toEqual({ kind: 'notString' });
    expect(fault(() => read.str({ a: 'abcdef' }, 'a', { min: 2, max: 5, pattern: /^x$/ }))?.issue).toEqual({
      kind: 'tooLong',
      min: 2,
      max: 5,
    });
    expect(fault(() => read.str({ a: 'ab' }, 'a', { max: 5, pattern: /^x$/ }))?.issue).toEqual({ kind: 'format' });
    expect(fault(() => read.str({ a: 'a\u0001' }, 'a', { max: 5, noControl: true }))?.issue).toEqual({ kind: 'control' });
    expect(read.str({ a: 'a\u0001' }, 'a', { max: 5 })).toBe('a\u0001');
    expect(fault(() => read.str({ a: 'card 4111 1111 1111 1111' }, 'a', { max: 50, noCardNumber: true }))?.issue).toEqual({
      kind: 'cardNumber',
    });
  });

  it('names a field by `as` when given (a dotted path)', () => {
    expect(fault(() => read.str({ email: 7 }, 'email', { max: 5, as: 'billing.email' }))?.field).toBe('billing.email');
    expect(fault(() => read.object({ billing: [] }, 'billing', false, 'order.billing'))?.field).toBe('order.billing');
  });

  it('refuses an unknown field by its name with any card number in it redacted, and a non-object', () => {
    const f = fault(() => read.only({ ok: 1, '4111111111111111': 2 }, ['ok']));
    expect(f?.issue).toEqual({ kind: 'unknown' });
    expect(f?.field).not.toContain('4111111111111111');
    expect(fault(() => read.object({ o: 'x' }, 'o'))?.issue).toEqual({ kind: 'notObject' });
    expect(fault(() => read.object({}, 'o', true))?.issue).toEqual({ kind: 'missing' });
  });
});

describe('parseObject', () => {
  it('an object, else why not', () => {
    expect(parseObject('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseObject('[1]')).toEqual({ ok: false, why: 'object' });
    expect(parseObject('{')).toEqual({ ok: false, why: 'json' });
    expect(parseObject(`${'['.repeat(100)}${']'.repeat(100)}`)).toEqual({ ok: false, why: 'json' });
  });
});

describe('credentialResolver', () => {
  let t: TestVault;
  beforeAll(async () => {
    t = await openTestVault();
  });
  afterAll(() => t.close());

  it('finds a credential by the key requests name, builds it once, and rebuilds it when its row changes', async () => {
    const created = await t.vault.merchants.create({ name: 'Resolver' }, 'cli');
    const opay = created.gateways.opay as { merchantId: string; secretKey: string };
    let builds = 0;
    const resolver = credentialResolver(t.vault.merchants, 'opay', ({ secret }) => {
      builds++;
      return secret.secretKey as string;
    });
    expect(await resolver.byLookupKey('999999999999999')).toEqual({ ok: false, reason: 'unknown' });
    const first = await resolver.byLookupKey(opay.merchantId);
    expect(first).toMatchObject({ ok: true, credential: { merchantId: created.id, value: opay.secretKey } });
    await resolver.byLookupKey(opay.merchantId);
    expect(builds).toBe(1);
    if (!first.ok) return;
    expect(await resolver.byId(first.credential.credentialId, created.id)).toMatchObject({ ok: true });
    expect(builds).toBe(1);

    // Any change to the row (here its public half, written directly) makes the next resolution rebuild it.
    const cred = await t.vault.merchants.gatewayCredential('opay', { merchantId: created.id });
    if (!cred) throw new Error('no credential');
    await t.vault.store.db
      .updateTable('gateway_credentials')
      .set({ public_data: JSON.stringify({ ...cred.publicData, note: 'changed' }) })
      .where('id', '=', cred.id)
      .execute();
    await resolver.byLookupKey(opay.merchantId);
    expect(builds).toBe(2);

    await t.vault.merchants.delete(created.id, 'cli');
    expect(await resolver.byLookupKey(opay.merchantId)).toMatchObject({ ok: false });
    expect(await resolver.byId(first.credential.credentialId, created.id)).toMatchObject({ ok: false, reason: 'unusable' });
  });

  it('lists every usable credential of the gateway', async () => {
    const a = await t.vault.merchants.create({ name: 'A' }, 'cli');
    const b = await t.vault.merchants.create({ name: 'B' }, 'cli');
    const resolver = credentialResolver(t.vault.merchants, 'appotapay', ({ publicData }) => publicData.apiKey as string);
    const all = (await resolver.all()).map((c) => c.merchantId);
    expect(all).toEqual(expect.arrayContaining([a.id, b.id]));
    await t.vault.merchants.delete(a.id, 'cli');
    expect((await resolver.all()).map((c) => c.merchantId)).not.toContain(a.id);
  });
});
