/**
 * Content-Type as AppotaPay requires it: every page lists `Content-Type: application/json` as a required header
 * (also on GET and DELETE, whose curl examples send it). A body sent as anything else is refused in AppotaPay's
 * shape (errorCode 1 naming `Content-Type`), before anything is written; a GET or DELETE may leave it out
 * (they carry no body) but not send another type (docs/appotapay.md "Credentials and headers").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import { type AppotaClient, appotaClient, appotaJwt, chargeBody, createToken, refId, tokenBody } from './helpers.ts';
import { expectError } from './refusals.ts';

let t: TestApp;
let appota: AppotaClient;

beforeAll(async () => {
  t = await makeTestApp();
  appota = appotaClient(t, await createMerchant(t, 'AppotaPay content-type merchant'));
});
afterAll(() => t.close());

/** A request with exactly these headers besides the JWT (none added, none removed). */
async function send(method: 'GET' | 'POST' | 'DELETE', url: string, headers: Record<string, string>, payload?: string) {
  const res = await t.app.inject({
    method,
    url,
    headers: { 'x-appotapay-auth': appotaJwt(appota.creds), ...headers },
    ...(payload === undefined ? {} : { payload }),
  });
  const json = res.body ? JSON.parse(res.body) : undefined;
  return { status: res.statusCode, headers: res.headers, json, body: res.body };
}

const count = async (table: 'cards' | 'payments') =>
  Number(
    (
      await t.vault.store.db
        .selectFrom(table)
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('AppotaPay Content-Type', () => {
  it('refuses a JSON body sent as text/plain, or with no Content-Type, writing nothing (1, Content-Type)', async () => {
    const before = await count('cards');
    const body = JSON.stringify(tokenBody());
    expectError(await send('POST', '/credit-card/token', { 'content-type': 'text/plain' }, body), 400, 1, 'Content-Type');
    expectError(
      await send('POST', '/credit-card/token', { 'content-type': 'application/x-www-form-urlencoded' }, body),
      400,
      1,
      'Content-Type',
    );
    expectError(await send('POST', '/credit-card/token', {}, body), 400, 1, 'Content-Type');
    expect(await count('cards')).toBe(before);
  });

  it('refuses a charge sent as text/plain, charging nothing', async () => {
    const tok = await createToken(appota);
    const before = await count('payments');
    const r = await send(
      'POST',
      '/credit-card/charge',
      { 'content-type': 'text/plain; charset=utf-8' },
      JSON.stringify(chargeBody(tok.tokenId)),
    );
    expectError(r, 400, 1, 'Content-Type');
    expect(await count('payments')).toBe(before);
  });

  it('accepts application/json with a charset, in any case', async () => {
    const ok = await send('POST', '/credit-card/token', { 'content-type': 'Application/JSON; charset=UTF-8' }, JSON.stringify(tokenBody()));
    expect(ok.status, ok.body).toBe(200);
  });

  it('accepts a GET and a DELETE with Content-Type: application/json (as the documented curl sends) or without', async () => {
    const tok = await createToken(appota);
    const made = await appota.call('POST', '/credit-card/charge', chargeBody(tok.tokenId));
    expect(made.status, made.body).toBe(200);
    for (const headers of [{ 'content-type': 'application/json' }, {}] as Record<string, string>[]) {
      const r = await send('GET', `/credit-card/charge/${made.json.id}`, headers);
      expect(r.status, r.body).toBe(200);
    }
    const other = await createToken(appota);
    const del = await send('DELETE', `/credit-card/token/${other.tokenId}?merchantRefId=${refId('DEL')}`, {
      'content-type': 'application/json',
    });
    expect([del.status, del.json.isDeleted]).toEqual([200, true]);
  });

  it('refuses a GET or a DELETE that names another Content-Type, deleting nothing', async () => {
    const tok = await createToken(appota);
    expectError(
      await send('GET', '/credit-card/charge/01HQHR4QQNK66D7TG3PK5MD08C', { 'content-type': 'text/plain' }),
      400,
      1,
      'Content-Type',
    );
    const url = `/credit-card/token/${tok.tokenId}?merchantRefId=${refId('DEL')}`;
    expectError(await send('DELETE', url, { 'content-type': 'text/html' }), 400, 1, 'Content-Type');
    const again = await send('DELETE', url, {});
    expect(again.status, again.body).toBe(200);
  });
});
