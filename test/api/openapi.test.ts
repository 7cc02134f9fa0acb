/**
 * Every API documented (issue 17, part 2): one OpenAPI 3.1 document per API, cut from the route table, so a
 * route cannot exist undocumented. Fails when a route is hidden or lands in no document, when an operation has
 * no summary, no stated security or no error answer, when a document's security scheme is unused or unknown,
 * or when an example contradicts its own schema. The native API's answers are checked against its document.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_IDS, type DocumentId, documentOf, registeredRoutes } from '../../src/api/openapi.ts';
import { client, createMerchant, futureYear, makeTestApp, type TestApp, VISA } from '../helpers/harness.ts';
import { invalidExamples, type OpenApiDocument, responseProblems, servedDocument } from '../helpers/openapi-conformance.ts';

const run = promisify(execFile);
let t: TestApp;
const docs = {} as Record<DocumentId, OpenApiDocument>;

beforeAll(async () => {
  t = await makeTestApp();
  for (const id of DOCUMENT_IDS) docs[id] = await servedDocument(t.app, id);
});
afterAll(() => t.close());

/** Swagger UI's own pages and assets: the viewer of the documents, not an API. */
const isDocsViewer = (url: string) => url === '/docs' || url.startsWith('/docs/');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options'];

describe('the route table and the documents', () => {
  it('documents every route the server serves, in exactly one document, and nothing it does not serve', () => {
    const routes = registeredRoutes(t.app).filter((r) => !isDocsViewer(r.url));
    // Fastify adds a HEAD beside every GET; it answers as the GET does.
    const served = routes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThan(60);
    expect(routes.filter((r) => r.hidden).map((r) => `${r.method} ${r.url}`)).toEqual([]);
    const documented: string[] = [];
    for (const id of DOCUMENT_IDS) {
      for (const [p, item] of Object.entries(docs[id].paths)) {
        expect(documentOf(p), `${p} in the ${id} document`).toBe(id);
        for (const m of Object.keys(item)) if (METHODS.includes(m)) documented.push(`${m.toUpperCase()} ${p}`);
      }
    }
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual([...new Set(served)].sort());
  });

  it.each(DOCUMENT_IDS)('%s: every operation has an id, a summary, its security and its answers', (id) => {
    const doc = docs[id] as OpenApiDocument & { components: { securitySchemes: Record<string, unknown> } };
    const schemes = Object.keys(doc.components.securitySchemes ?? {});
    const used = new Set<string>();
    const ids: string[] = [];
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(item)) {
        if (!METHODS.includes(m)) continue;
        const where = `${m.toUpperCase()} ${p}`;
        ids.push(op.operationId as string);
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z0-9]+$/);
        expect(String(op.summary ?? ''), where).not.toBe('');
        expect(Array.isArray(op.security), `${where} states its security`).toBe(true);
        for (const requirement of op.security as Record<string, unknown>[]) {
          for (const name of Object.keys(requirement)) {
            expect(schemes, `${where} names scheme ${name}`).toContain(name);
            used.add(name);
          }
        }
        const statuses = Object.keys(op.responses as object);
        expect(
          statuses.some((s) => s.startsWith('2')),
          `${where} has a success answer`,
        ).toBe(true);
        if (id !== 'ops') {
          // An API that answers errors with 200 and a code documents that in its 200 answer's description.
          const errorDocumented = statuses.some((s) => s.startsWith('4') || s.startsWith('5'));
          expect(errorDocumented, `${where} documents its error answers`).toBe(true);
        }
      }
    }
    expect(new Set(ids).size, 'operation ids are unique').toBe(ids.length);
    expect(
      schemes.filter((s) => !used.has(s)),
      'every declared scheme is used',
    ).toEqual([]);
  });

  it.each(DOCUMENT_IDS)('%s: every example is valid against its own schema', (id) => {
    expect(invalidExamples(docs[id] as OpenApiDocument)).toEqual([]);
  });

  it('names the admin token, not the API key, on every admin operation, and the API key with its scope elsewhere', () => {
    for (const [p, item] of Object.entries(docs.native.paths)) {
      for (const [m, op] of Object.entries(item)) {
        const security = JSON.stringify(op.security);
        if (p.startsWith('/v1/admin/')) expect(security, `${m} ${p}`).toBe('[{"adminToken":[]}]');
        // Card elements: the publishable key where one is taken, nothing on the public files and pages.
        else if (p.startsWith('/elements/'))
          expect(security, `${m} ${p}`).toBe(/\/(tokens|card)$/.test(p) ? '[{"publishableKey":[]}]' : '[]');
        else {
          expect(security, `${m} ${p}`).toBe('[{"apiKey":[]}]');
          expect(String(op.description), `${m} ${p}`).toMatch(/Needs an API key with the `[a-z]+` scope/);
        }
      }
    }
  });
});

describe('the native API answers as its document says', () => {
  it('cards, customers and payments: every answer matches the documented response for its status and media type', async () => {
    const m = await createMerchant(t);
    const c = client(t, m.apiKey);
    const check = (method: string, route: string, res: { statusCode: number; headers: Record<string, unknown>; body: string }) =>
      expect(responseProblems(docs.native, method, route, res), `${method} ${route} → ${res.statusCode}`).toEqual([]);

    const customer = await c.post('/v1/customers', { customerId: 'ada-1', name: 'Ada Lovelace', email: 'ada@example.com' });
    check('POST', '/v1/customers', customer);
    const cus = customer.json().id as string;
    const card = await c.post('/v1/cards', {
      number: VISA,
      expMonth: 12,
      expYear: futureYear(),
      cvv: '123',
      customer: cus,
      holderName: 'ADA LOVELACE',
    });
    check('POST', '/v1/cards', card);
    const token = card.json().token as string;
    check('GET', '/v1/cards/{token}', await c.get(`/v1/cards/${token}`));
    check('GET', '/v1/cards', await c.get('/v1/cards?limit=5'));
    check('GET', '/v1/customers/{id}/cards', await c.get(`/v1/customers/${cus}/cards`));
    check('PATCH', '/v1/cards/{token}', await c.patch(`/v1/cards/${token}`, { holderName: 'A LOVELACE' }, { 'if-match': '"1"' }));
    const payment = await c.post('/v1/payments', { token, amount: 1250, currency: 'USD', capture: false });
    check('POST', '/v1/payments', payment);
    check('POST', '/v1/payments/{id}/capture', await c.post(`/v1/payments/${payment.json().id}/capture`, {}));
    // Refusals: each documented with its status and problem+json.
    check('GET', '/v1/cards/{token}', await c.get('/v1/cards/tok_missing'));
    check('POST', '/v1/cards', await c.post('/v1/cards', { number: '4111111111111112', expMonth: 12, expYear: futureYear() }));
    check('POST', '/v1/cards', await c.post('/v1/cards', { number: VISA, expMonth: 13, expYear: futureYear() }));
    check('PATCH', '/v1/cards/{token}', await c.patch(`/v1/cards/${token}`, { holderName: 'B' }, { 'if-match': '"1"' }));
    check('GET', '/v1/cards', await client(t, 'tv_sk_wrong').get('/v1/cards'));
  });
});

describe('Redocly lint, recommended rules', () => {
  it('finds 0 errors in every document', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-openapi-'));
    try {
      const files = DOCUMENT_IDS.map((id) => {
        const file = path.join(dir, `${id}.json`);
        fs.writeFileSync(file, JSON.stringify(docs[id]));
        return file;
      });
      const bin = path.resolve('node_modules/.bin/redocly');
      // One run per document: with several files, --format json prints one report after another.
      const reports = await Promise.all(
        files.map(async (file) => {
          const out = await run(bin, ['lint', '--extends', 'recommended', '--format', 'json', file], {
            env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
            maxBuffer: 64 * 1024 * 1024,
          }).catch((e: { stdout: string }) => e);
          const report = JSON.parse(out.stdout) as { totals: { errors: number }; problems: { severity: string; message: string }[] };
          return { file: path.basename(file), errors: report.problems.filter((p) => p.severity === 'error') };
        }),
      );
      expect(reports.filter((r) => r.errors.length > 0)).toEqual([]);
      expect(reports).toHaveLength(DOCUMENT_IDS.length);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
