/**
 * The AlliancePay gateway held to its served OpenAPI document (src/api/gateways/alliancepay/schemas.ts):
 * every operation's documented example (the JSON inside the JWE body, with real ids and card fields
 * encrypted to this merchant's payment key) is accepted; every one-change request the payload schema
 * forbids is refused in the gateway's error envelope, never a 5xx; and every answer — accepted, refused,
 * missing objects, session failures, 429, 503 — matches the documented response for its status, the
 * decrypted `{jwe}` answers included.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, futureYear, makeTestApp, type TestApp } from '../../helpers/harness.ts';
import {
  invalidExamples,
  mutants,
  type OpenApiDocument,
  operationOf,
  requestSchema,
  resolve,
  responseProblems,
  schemaErrors,
  servedDocument,
} from '../../helpers/openapi-conformance.ts';
import { type AllianceClient, allianceClient, decryptWith, encryptTo, type Json, PATHS } from './helpers.ts';

type Path = (typeof PATHS)[keyof typeof PATHS];
const AUTHORIZE = '/api-gateway/authorize_virtual_device';

const YY = String(futureYear() % 100).padStart(2, '0');
const EXP = `${YY}12`;
const MASTERCARD = '5555555555554444';
const CHALLENGE = '4000000000003220';
const INSUFFICIENT = '4000000000009995';
const TIMEOUT = '4000000000000119';

let t: TestApp;
let doc: OpenApiDocument;
let ap: AllianceClient;

/** Every answer this file got, with where it came from: each is checked against the document. */
const answers: { app: TestApp; path: string; res: LightMyRequestResponse }[] = [];
let mutantsSent = 0;
let mutantsRefused = 0;

beforeAll(async () => {
  t = await makeTestApp();
  doc = await servedDocument(t.app, 'alliancepay');
  ap = allianceClient(t, await createMerchant(t, 'OpenAPI merchant'));
  const r = await ap.authorize();
  expect(r.encrypted).toBe(true);
});
afterAll(() => t.close());

interface Send {
  requestId?: string;
  headers?: Record<string, string>;
  omit?: string[];
  /** The body exactly as sent. */
  raw?: string;
}

/** A session call as the gateway's clients make it, answered raw (status, headers, body). */
async function post(path: Path, body: unknown, opts: Send = {}, on: { t: TestApp; ap: AllianceClient } = { t, ap }) {
  const s = on.ap.session;
  const payload = opts.raw ?? (await encryptTo(s.serverPublic, JSON.stringify(body)));
  const headers: Record<string, string> = {
    'content-type': 'text/plain',
    'x-api_version': 'V1',
    'x-request_id': opts.requestId ?? randomUUID(),
    'x-device_id': s.deviceId,
    'x-refresh_token': s.refreshToken,
    ...opts.headers,
  };
  for (const name of opts.omit ?? []) delete headers[name];
  const res = await on.t.app.inject({ method: 'POST', url: path, headers, payload });
  answers.push({ app: on.t, path, res });
  return res;
}

async function authorize(body: unknown, headers: Record<string, string> = {}, on: TestApp = t) {
  const res = await on.app.inject({
    method: 'POST',
    url: AUTHORIZE,
    headers: { 'content-type': 'application/json', 'x-api_version': 'V1', 'x-request_id': randomUUID(), ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  answers.push({ app: on, path: AUTHORIZE, res });
  return res;
}

/** The decrypted answer of an accepted call (HTTP 200 `{jwe}`), else the test fails with the refusal. */
async function accepted(res: LightMyRequestResponse, client: AllianceClient = ap): Promise<Json> {
  expect(res.statusCode, res.body).toBe(200);
  const body = JSON.parse(res.body);
  expect(typeof body.jwe, res.body).toBe('string');
  return JSON.parse(await decryptWith(client.creds.merchantPrivateJwk, body.jwe));
}

/** A refusal in the gateway's error envelope, never a 5xx and never an answer. */
function refused(res: LightMyRequestResponse, outage = false): { status: number; msgCode: string; errorCauses: string[] } {
  if (outage) expect(res.statusCode, res.body).toBe(503);
  else expect(res.statusCode, res.body).toBeLessThan(500);
  const body = JSON.parse(res.body);
  expect(body.jwe, res.body).toBeUndefined();
  expect(typeof body.msgCode, res.body).toBe('string');
  return { status: res.statusCode, msgCode: body.msgCode, errorCauses: body.errorCauses };
}

/** The documented schema of the JSON inside a successful answer's `jwe`. */
function answerPayloadSchema(path: string): Record<string, unknown> {
  const op = operationOf(doc, 'POST', path);
  const media = (op.responses as Json)['200'].content['application/json'];
  const envelope = (resolve(doc, media.schema) as Json).oneOf.find((s: Json) => s.properties?.jwe);
  return envelope.properties.jwe['x-payload-schema'];
}

/**
 * The documented request example: for a JWE body, the payload's (`examples` of its x-payload-schema); for
 * the JSON body of authorize_virtual_device, the media example.
 */
function documentedExamples(path: string): Json[] {
  const { mediaType, schema } = requestSchema(doc, 'POST', path);
  if (schema.examples) return schema.examples as Json[];
  const media = ((operationOf(doc, 'POST', path).requestBody as Json).content as Json)[mediaType];
  return media.example === undefined ? [] : [media.example];
}
const payloadExample = (path: string): Json => structuredClone(documentedExamples(path)[0]);

async function createToken(pan: string, customerId = 'senderCustomerId'): Promise<string> {
  const r = await accepted(
    await post(PATHS.create, {
      merchantRequestId: randomUUID(),
      merchantId: ap.merchantId,
      customerId,
      encryptedCardNumber: await ap.encField(pan),
      encryptedExpDate: await ap.encField(EXP),
      date: '2025-02-20 16:42:05.00+00:00',
    }),
  );
  return r.token;
}

/** A payment waiting for its 3-D Secure result, made by the step 1 operation that `path` completes. */
async function pendingOperation(path: Path): Promise<string> {
  const step1 = path.slice(0, -'/3ds'.length) as Path;
  const body = payloadExample(step1);
  body.merchantId = ap.merchantId;
  body.merchantRequestId = randomUUID();
  body.cvv = await ap.encField('123');
  if (step1 === PATHS.purchase) {
    body.encryptedCardNumber = await ap.encField(CHALLENGE);
    body.encryptedExpDate = await ap.encField(EXP);
  } else body.token = await createToken(CHALLENGE);
  const r = await accepted(await post(step1, body));
  expect(r.status).toBe('REQUIRED_3DS');
  return r.operationId;
}

/** A successful token purchase (for REFUND and the getting-data calls). */
async function paidPurchase(): Promise<Json> {
  const r = await accepted(await post(PATHS.tokenPurchase, await realExample(PATHS.tokenPurchase)));
  expect(r.status).toBe('SUCCESS');
  return r;
}
const paidOperation = async (): Promise<string> => (await paidPurchase()).operationId;

/** The documented example of `path` made real: this merchant, fresh references, real tokens and operations. */
async function realExample(path: Path): Promise<Json> {
  const body = payloadExample(path);
  if ('merchantId' in body) body.merchantId = ap.merchantId;
  if ('merchantRequestId' in body) body.merchantRequestId = randomUUID();
  if ('encryptedCardNumber' in body) body.encryptedCardNumber = await ap.encField(MASTERCARD);
  if ('encryptedExpDate' in body) body.encryptedExpDate = await ap.encField(EXP);
  if ('cvv' in body) body.cvv = await ap.encField('123');
  if ('token' in body) body.token = await createToken(MASTERCARD);
  if ('operationId' in body) body.operationId = path === PATHS.refund ? await paidOperation() : await pendingOperation(path);
  if (path === PATHS.operation) body.id = await paidOperation();
  if (path === PATHS.byReference) body.merchantRequestId = (await paidPurchase()).merchantRequestId;
  return body;
}

const OPERATIONS = Object.values(PATHS);

describe('AlliancePay OpenAPI document', () => {
  it('documents every route, each with an operationId, summary, security and its error answers', () => {
    const paths = Object.keys(doc.paths).sort();
    expect(paths).toEqual([AUTHORIZE, ...OPERATIONS].sort());
    const ids = new Set<string>();
    for (const path of paths) {
      expect(Object.keys(doc.paths[path] as object)).toEqual(['post']);
      const op = operationOf(doc, 'POST', path);
      expect(op.operationId, path).toMatch(/^[a-z][A-Za-z0-9]+$/);
      ids.add(op.operationId as string);
      expect(op.summary, path).toBeTruthy();
      expect(Array.isArray(op.security), path).toBe(true);
      const responses = op.responses as Json;
      expect(
        Object.keys(responses).some((s) => s.startsWith('4')),
        path,
      ).toBe(true);
      // The 200 answer is the `{jwe}` answer or an error envelope (the gateway's HTTP 200 errors).
      expect(responses['200'].content['application/json'].schema.oneOf, path).toHaveLength(2);
      expect(Object.keys(responses)).toEqual(expect.arrayContaining(['200', '400', '429', '503']));
    }
    expect(ids.size).toBe(paths.length);
    // Session operations need both session headers; opening a session needs no header credential.
    for (const path of OPERATIONS) {
      expect(operationOf(doc, 'POST', path).security).toEqual([{ alliancepayDevice: [], alliancepayRefreshToken: [] }]);
      expect(Object.keys(operationOf(doc, 'POST', path).requestBody as Json).sort()).toEqual(['content', 'description', 'required']);
      expect(requestSchema(doc, 'POST', path).mediaType).toBe('text/plain');
    }
    expect(operationOf(doc, 'POST', AUTHORIZE).security).toEqual([]);
    const schemes = (doc.components as Json).securitySchemes;
    expect(schemes.alliancepayDevice).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-device_id' });
    expect(schemes.alliancepayRefreshToken).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-refresh_token' });
  });

  it('gives examples its own schemas accept, the JSON inside the JWEs included', () => {
    expect(invalidExamples(doc)).toEqual([]);
    for (const path of [AUTHORIZE, ...OPERATIONS]) {
      const request = requestSchema(doc, 'POST', path).schema;
      const examples = documentedExamples(path);
      expect(examples, path).toHaveLength(1);
      expect(schemaErrors(request, examples[0]), path).toEqual([]);
      const answer = answerPayloadSchema(path);
      expect(answer.examples, path).toHaveLength(1);
      expect(schemaErrors(answer, (answer.examples as unknown[])[0]), path).toEqual([]);
    }
  });
});

describe('AlliancePay requests against the document', () => {
  it('opens a session with the documented example and refuses every mutant of it', async () => {
    const { schema } = requestSchema(doc, 'POST', AUTHORIZE);
    const example = { ...payloadExample(AUTHORIZE), serviceCode: ap.creds.serviceCode };
    const session = await accepted(await authorize(example));
    expect(schemaErrors(answerPayloadSchema(AUTHORIZE), session)).toEqual([]);
    const all = mutants(schema, example);
    expect(all.length).toBeGreaterThan(0);
    for (const m of all) {
      mutantsSent++;
      refused(await authorize(m.body));
      mutantsRefused++;
    }
  });

  for (const path of OPERATIONS) {
    it(`${path}: accepts the documented example and refuses every mutant of it`, async () => {
      const { schema } = requestSchema(doc, 'POST', path);
      const example = await realExample(path);
      const all = mutants(schema, example);
      expect(all.length, path).toBeGreaterThan(2);
      // Mutants first: each is refused before anything changes, so the example still applies after them.
      for (const m of all) {
        const body = m.body as Json;
        // A wrongly accepted mutant must not turn the next ones into duplicates.
        if (body.merchantRequestId === example.merchantRequestId) body.merchantRequestId = randomUUID();
        mutantsSent++;
        const r = refused(await post(path, body));
        expect(r.msgCode, `${path} ${m.name}`).not.toBe('b_duplicate_field_value');
        mutantsRefused++;
      }
      const answer = await accepted(await post(path, example));
      expect(schemaErrors(answerPayloadSchema(path), answer), path).toEqual([]);
      if ('coinAmount' in example) expect(answer.status, path).toBe('SUCCESS');
    });
  }

  it('answers unknown tokens and operations, declines and state changes as documented', async () => {
    const missing = 'AAAAAAAAAAAAAAAAAAAAAAAA';
    expect(refused(await post(PATHS.get, { token: missing })).msgCode).toBe('b_token_not_found');
    expect(refused(await post(PATHS.state, { token: missing, state: 'DELETED' })).msgCode).toBe('b_token_not_found');
    for (const path of [PATHS.tokenPurchase3ds, PATHS.tokenC2a3ds, PATHS.purchase3ds]) {
      const r = refused(await post(path, { merchantId: ap.merchantId, operationId: randomUUID(), transStatus: 'Y' }));
      expect(r).toMatchObject({ status: 404, msgCode: 'payment_operation_not_found' });
    }
    const pay = async (token: string, over: Json = {}) =>
      post(PATHS.tokenPurchase, {
        ...(await realExampleWithout(PATHS.tokenPurchase)),
        token,
        cvv: await ap.encField('123'),
        ...over,
      });
    expect((await accepted(await pay(await createToken(INSUFFICIENT)))).status).toBe('FAIL');
    expect((await accepted(await pay(await createToken(CHALLENGE), { desiredThreeDSMode: 'MUST_NOT' }))).status).toBe(
      'DESIRED_THREEDS_MODE_ERROR',
    );
    const token = await createToken(MASTERCARD, 'another-customer');
    expect(await accepted(await post(PATHS.state, { token, state: 'SUSPENDED' }))).toMatchObject({ tokenUpdated: true });
    expect(refused(await pay(token)).msgCode).toBe('b_token_not_active');
    expect(await accepted(await post(PATHS.state, { token, state: 'SUSPENDED' }))).toMatchObject({ tokenUpdated: false });
    expect((await accepted(await post(PATHS.get, { token }))).result[0].status).toBe('SUSPENDED');
    expect((await accepted(await post(PATHS.list, { customerId: 'another-customer' }))).result).toHaveLength(1);
    expect((await accepted(await post(PATHS.list, { customerId: 'nobody' }))).result).toEqual([]);
    // A card purchase keeps no token unless asked.
    const oneOff = await post(PATHS.purchase, { ...(await realExample(PATHS.purchase)), typeToken: 'NO_TOKEN' });
    expect((await accepted(oneOff)).token).toBeUndefined();
    // NONCVV: no cvv needed.
    const { cvv: _cvv, ...noCvv } = await realExample(PATHS.tokenPurchase);
    expect((await accepted(await post(PATHS.tokenPurchase, { ...noCvv, txnType: 'NONCVV' }))).status).toBe('SUCCESS');
    // Without cvv and without NONCVV the payload schema's anyOf is not met: refused.
    expect(schemaErrors(requestSchema(doc, 'POST', PATHS.tokenPurchase).schema, noCvv)).not.toEqual([]);
    expect(refused(await post(PATHS.tokenPurchase, noCvv)).msgCode).toBe('b_invalid_request');
  });

  it('answers session, transport and body failures as documented', async () => {
    const path = PATHS.list;
    const body = { customerId: 'senderCustomerId' };
    const codes = async (opts: Send, b: unknown = body) => refused(await post(path, b, opts));
    expect(await codes({ omit: ['x-device_id'] })).toMatchObject({ status: 200, msgCode: 'b_virtual_device_not_found' });
    expect(await codes({ omit: ['x-refresh_token'] })).toMatchObject({ status: 200, msgCode: 'b_refresh_token_absent' });
    expect(await codes({ omit: ['x-request_id'] })).toMatchObject({ status: 200, msgCode: 'b_invalid_request' });
    expect(await codes({ headers: { 'x-device_id': randomUUID() } })).toMatchObject({ status: 401, msgCode: 'b_unknown_device' });
    expect(await codes({ headers: { 'x-refresh_token': randomUUID() } })).toMatchObject({ status: 401, msgCode: 'b_used_token' });
    expect(await codes({ raw: 'not a jwe' })).toMatchObject({ status: 200, msgCode: 'b_encryptor_failed_decrypt_message' });
    expect(await codes({ raw: await encryptTo(ap.session.serverPublic, '[1,2]') })).toMatchObject({
      status: 400,
      msgCode: 'b_error_parse_json',
    });
    expect(await codes({}, { ...body, merchantId: randomUUID() })).toMatchObject({
      status: 400,
      msgCode: 'b_user_merchant_request_mismatch',
    });
    const requestId = randomUUID();
    await accepted(await post(path, body, { requestId }));
    expect(await codes({ requestId })).toMatchObject({ status: 400, msgCode: 'b_duplicate_field_value' });
    const reference = randomUUID();
    const create = async () => post(PATHS.create, { ...(await realExample(PATHS.create)), merchantRequestId: reference });
    await accepted(await create());
    expect(refused(await create())).toMatchObject({ status: 400, msgCode: 'b_duplicate_field_value' });
    const bad = { ...(await realExample(PATHS.create)), encryptedCardNumber: await ap.encField('5555555555554445') };
    expect(refused(await post(PATHS.create, bad)).msgCode).toBe('b_invalid_pan_format');
    const expired = { ...(await realExample(PATHS.create)), encryptedExpDate: await ap.encField('2001') };
    expect(refused(await post(PATHS.create, expired)).msgCode).toBe('b_validation_card_expiration_date');
    // A malformed URL on the gateway's paths: its own envelope.
    const url = await t.app.inject({ method: 'POST', url: `${PATHS.get}%zz`, payload: 'x', headers: { 'content-type': 'text/plain' } });
    answers.push({ app: t, path: PATHS.get, res: url });
    expect(refused(url)).toMatchObject({ status: 200, msgCode: 'b_invalid_request' });
    // Opening a session.
    expect(refused(await authorize({ serviceCode: randomUUID() }))).toMatchObject({ status: 200, msgCode: 'b_merchant_not_found' });
    expect(refused(await authorize('{nope'))).toMatchObject({ status: 400, msgCode: 'b_error_parse_json' });
    expect(refused(await authorize({ serviceCode: ap.creds.serviceCode }, { 'x-request_id': '' }))).toMatchObject({
      status: 200,
      msgCode: 'b_invalid_request',
    });
  });

  it('answers a processor outage (503), an over-large body and a locked-out client (429) as documented', async () => {
    const small = await makeTestApp({
      env: { TOKENVAULT_PROCESSOR_TIMEOUT_MS: '200', TOKENVAULT_AUTH_FAILURE_LIMIT: '1', TOKENVAULT_BODY_LIMIT: '4096' },
    });
    try {
      const c = allianceClient(small, await createMerchant(small, 'Outage merchant'));
      expect((await c.authorize()).encrypted).toBe(true);
      const on = { t: small, ap: c };
      const created = await post(
        PATHS.create,
        {
          merchantRequestId: randomUUID(),
          merchantId: c.merchantId,
          customerId: 'senderCustomerId',
          encryptedCardNumber: await c.encField(TIMEOUT),
          encryptedExpDate: await c.encField(EXP),
          date: '2025-02-20 16:42:05.00+00:00',
        },
        {},
        on,
      );
      const token = (await accepted(created, c)).token;
      const example = payloadExample(PATHS.tokenPurchase);
      const body = { ...example, merchantId: c.merchantId, merchantRequestId: randomUUID(), token, cvv: await c.encField('123') };
      expect(refused(await post(PATHS.tokenPurchase, body, {}, on), true)).toMatchObject({
        status: 503,
        msgCode: 'b_server_is_overloaded',
      });
      // Over the body limit: the gateway's invalid request.
      expect(refused(await post(PATHS.list, null, { raw: 'x'.repeat(5000) }, on))).toMatchObject({
        status: 200,
        msgCode: 'b_invalid_request',
      });
      // One wrong refresh token for this session's device locks this client out of that device (limit 1): every
      // call naming it is then 429 with Retry-After, even with the right token (issue 19: per address and device).
      expect(refused(await post(PATHS.list, {}, { headers: { 'x-refresh_token': randomUUID() } }, on)).status).toBe(401);
      const locked = await post(PATHS.list, { customerId: 'x' }, {}, on);
      expect(refused(locked)).toMatchObject({ status: 429, msgCode: 'b_too_many_requests' });
      expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Opening a session with the right service code is not refused for another credential's failure.
      expect((await authorize({ serviceCode: c.creds.serviceCode }, {}, small)).statusCode).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('answered everything as documented, never a 5xx outside the documented 503', () => {
    expect(answers.length).toBeGreaterThan(150);
    const problems = answers.flatMap(({ path, res }) =>
      responseProblems(doc, 'POST', path, { statusCode: res.statusCode, headers: res.headers, body: res.body }).map((p) => `${path}: ${p}`),
    );
    expect(problems).toEqual([]);
    expect(answers.filter(({ res }) => res.statusCode >= 500 && res.statusCode !== 503)).toEqual([]);
    expect(mutantsRefused).toBe(mutantsSent);
    expect(mutantsSent).toBeGreaterThan(100);
    console.info(`alliancepay openapi: ${answers.length} answers checked, ${mutantsSent} mutants sent, ${mutantsRefused} refused`);
  });

  it('each successful answer decrypts to what the document says', async () => {
    let checked = 0;
    for (const { app, path, res } of answers) {
      if (app !== t || res.statusCode !== 200) continue;
      const body = JSON.parse(res.body);
      if (typeof body.jwe !== 'string') continue;
      const plain = JSON.parse(await decryptWith(ap.creds.merchantPrivateJwk, body.jwe));
      expect(schemaErrors(answerPayloadSchema(path), plain), path).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
  });
});

/** The token purchase example made real, without creating a token (the caller supplies one). */
async function realExampleWithout(path: Path): Promise<Json> {
  const body = payloadExample(path);
  body.merchantId = ap.merchantId;
  body.merchantRequestId = randomUUID();
  return body;
}
