/**
 * A gateway is one folder and one line in GATEWAYS: here a tiny throwaway module, given to buildApp beside
 * the real ones, is served with nothing else written for it — its routes, its API name for the guard (its
 * shape for 400, 429 and 503), its OpenAPI document, its redacted header and its settings all derive.
 */
import type { FastifyReply } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAYS } from '../../../src/api/gateways/index.ts';
import { keepRawBody, parseObject, rawText } from '../../../src/api/gateways/kit/body.ts';
import { fieldReader } from '../../../src/api/gateways/kit/fields.ts';
import type { GatewayModule } from '../../../src/api/gateways/kit/module.ts';
import { gatewayPipeline } from '../../../src/api/gateways/kit/pipeline.ts';
import { GatewayRefusal } from '../../../src/api/gateways/kit/refusal.ts';
import { buildApp } from '../../../src/app.ts';
import { makeTestApp, type TestApp } from '../../helpers/harness.ts';

const SECRET_HEADER_VALUE = 'echo-secret-value-0123456789';

/** Echo: one operation that answers its body's `say` field in `{ ok, echo }`, errors as `{ ok: false, why }`. */
const echo: GatewayModule<'echo'> = {
  id: 'echo',
  title: 'Echo',
  prefixes: ['/echo/'],
  redactHeaders: ['x-echo-key'],
  settings: [{ key: 'repeat', env: 'TOKENVAULT_ECHO_REPEAT', default: 2, min: 1, max: 5, description: 'times to repeat' }],
  credentials: { supplied: [], prepare: () => async () => ({ lookupKey: 'echo', publicData: {}, secretData: null, shown: {} }) },
  async server() {
    const send = (reply: FastifyReply, status: number, why: string) => reply.code(status).send({ ok: false, why });
    const read = fieldReader((field, issue) => new GatewayRefusal('invalid', { detail: `${field}: ${issue.kind}` }));
    return {
      document: { title: 'Echo API', description: 'A throwaway gateway.', securitySchemes: {} },
      async register(app, deps) {
        deps.guard.renderer('echo', (reply, status) => send(reply, status, `refused ${status}`));
        // The kit's pipeline: authenticate, the rate, read, operate; a refusal audited when it is an auth one.
        const route = gatewayPipeline({
          api: 'echo',
          guard: deps.guard,
          scheme: 'echo-key',
          async authenticate(request) {
            if (request.headers['x-echo-key'] !== SECRET_HEADER_VALUE) throw new GatewayRefusal('auth', { auth: { reason: 'bad_key' } });
            return { caller: { merchantId: 'mch_echo', actor: 'echo' } };
          },
          render: (reply, e) => send(reply, e.code === 'auth' ? 401 : 400, e.detail ?? String(e.code)),
        });
        await app.register(async (scope) => {
          keepRawBody(scope, 'string', ['application/json']);
          scope.post(
            '/echo/v1/say',
            {
              schema: {
                operationId: 'echoSay',
                summary: 'Echo a word',
                security: [],
                response: { 200: { type: 'object', additionalProperties: true } },
              },
            },
            route(
              (_auth, request) => {
                const body = parseObject(rawText(request.body));
                if (!body.ok) throw new GatewayRefusal('invalid', { detail: 'not a JSON object' });
                return read.need(body.value, 'say', { max: 20, pattern: /^[a-z]+$/ });
              },
              async (say) => ({ ok: true, echo: Array(deps.settings.repeat).fill(say).join(' ') }),
            ),
          );
        });
      },
    };
  },
};

describe('a throwaway gateway module given to buildApp', () => {
  let base: TestApp;
  let app: Awaited<ReturnType<typeof buildApp>>;
  const lines: string[] = [];
  beforeAll(async () => {
    base = await makeTestApp();
    // The echo API names no credential before verifying one (no `claimed` reader): its lockout is the address ceiling.
    const config = { ...base.config, authFailureLimit: 2, authFailureAddressLimit: 2, gateways: { ...base.config.gateways } };
    const logStream = { write: (line: string) => void lines.push(line) } as never;
    app = await buildApp(config, base.vault, () => false, { gateways: [...GATEWAYS, echo], logStream });
  });
  afterAll(async () => {
    await app.close();
    await base.close();
  });

  const say = (payload: string, key = SECRET_HEADER_VALUE, ip = '10.0.0.1') =>
    app.inject({
      method: 'POST',
      url: '/echo/v1/say',
      headers: { 'content-type': 'application/json', 'x-echo-key': key },
      payload,
      remoteAddress: ip,
    });

  it('serves its route with its own settings (the default, as no environment variable is set)', async () => {
    const res = await say('{"say":"hello"}');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, echo: 'hello hello' });
  });

  it('refuses bad input through the kit in its own shape', async () => {
    expect((await say('{"say":"HELLO"}')).json()).toEqual({ ok: false, why: 'say: format' });
    expect((await say('[1]')).json()).toEqual({ ok: false, why: 'not a JSON object' });
  });

  it('is an API of the guard: a malformed URL and a locked-out client are refused in its shape', async () => {
    const bad = await app.inject({ method: 'POST', url: '/echo/v1/%zz', payload: '{}', headers: { 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ ok: false, why: 'refused 400' });
    for (let i = 0; i < 2; i++) expect((await say('{"say":"x"}', 'wrong', '10.9.9.9')).statusCode).toBe(401);
    const locked = await say('{"say":"x"}', 'wrong', '10.9.9.9');
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toEqual({ ok: false, why: 'refused 429' });
  });

  it('has its own OpenAPI document, listing its operation and no other API’s', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi/echo.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.info.title).toBe('Echo API');
    expect(Object.keys(doc.paths)).toEqual(['/echo/v1/say']);
    const native = (await app.inject({ method: 'GET', url: '/openapi/native.json' })).json();
    expect(Object.keys(native.paths).some((p) => p.startsWith('/echo/'))).toBe(false);
  });

  it('audits a refused key as auth.failed of its API, through the pipeline', async () => {
    const events = await base.vault.store.db.selectFrom('audit_events').select(['detail']).where('action', '=', 'auth.failed').execute();
    expect(events.map((e) => JSON.parse(e.detail ?? '{}'))).toContainEqual(
      expect.objectContaining({ api: 'echo', scheme: 'echo-key', reason: 'bad_key' }),
    );
  });

  it('never logs its credential header', async () => {
    await say('{"say":"logged"}');
    const all = lines.join('\n');
    expect(all).toContain('/echo/v1/say');
    expect(all).not.toContain(SECRET_HEADER_VALUE);
  });
});
