import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createMerchant, makeTestApp, type TestApp, tokenize, VISA } from '../helpers/harness.ts';

let t: TestApp;

beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(() => t.close());

describe('operations endpoints', () => {
  it('answers liveness and readiness', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', database: 'up' });
  });

  it('exports request counts and latency per route pattern, never per token', async () => {
    const c = client(t, (await createMerchant(t)).apiKey);
    const card = await tokenize(c);
    await c.get(`/v1/cards/${card.token}`);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/tokenvault_http_requests_total\{method="POST",route="\/v1\/cards",status="201"\} 1/);
    expect(metrics).toMatch(/tokenvault_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/v1\/cards\/:token"\}/);
    expect(metrics).not.toContain(card.token);
    expect(metrics).toContain('process_resident_memory_bytes');
  });

  it('serves the OpenAPI document and the docs UI', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/cards', '/v1/cards/{token}', '/v1/customers', '/v1/customers/{id}/addresses', '/v1/admin/merchants']),
    );
    expect(spec.paths['/v1/cards'].post.operationId).toBe('createCard');
    expect(spec.paths['/v1/cards'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['number', 'expMonth', 'expYear']),
    );
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('answers an unknown route with a problem, not a stack', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('not_found');
  });

  it('logs the route template and redacted parameters, never a card number in the URL', async () => {
    await t.app.inject({ method: 'GET', url: `/v1/cards/${VISA}`, headers: { authorization: 'Bearer tv_sk_nope' } });
    const joined = t.logs.join('');
    expect(joined).toContain('"url":"/v1/cards/:token"');
    expect(joined).toContain('"params":{"token":"[card number]"}');
    expect(joined).not.toContain(VISA);
  });

  it('reports not ready (503) when the database is gone', async () => {
    const other = await makeTestApp();
    await other.vault.store.close();
    const res = await other.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'not ready', database: 'down' });
    await other.close();
  });
});
