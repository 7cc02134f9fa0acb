/**
 * What the native API's OpenAPI document says beyond each route's own schema, derived from the same route
 * config the hooks act on: `scope` → which credential (admin token or API key and its scope); POST with a
 * scope → Idempotency-Key (registerIdempotency); `ifMatch` → If-Match (ifMatchOf refuses to read it on a
 * route that does not declare it); and the error answers every such route can give, as problem+json.
 */
import type { RouteOptions } from 'fastify';
import type { ApiDocument } from '../openapi.ts';
import { problemCodesByStatus } from '../problem.ts';
import { ProblemSchema } from './schemas.ts';

const WHY: Record<number, string> = {
  400: 'The request is not valid; `errors` names each field',
  401: 'No valid credential was sent',
  403: 'The API key lacks the scope this operation needs (or, for card elements, the origin is not the key’s)',
  404: 'Not found (or not this merchant’s)',
  409: 'Conflicts with the current state',
  410: 'Gone',
  412: 'If-Match does not match the current version',
  413: 'The body is larger than the limit',
  415: 'The body is not application/json',
  422: 'Refused by the card rules',
  429: 'Too many requests, or too many failed authentications from this client; Retry-After says when to retry',
  500: 'An internal error (the request id in X-Request-Id finds it in the log)',
  503: 'The database or the payment processor is unavailable; retry later',
};

const codes = problemCodesByStatus();

function problemResponse(status: number) {
  const known = codes.get(status) ?? [];
  return {
    description: `${WHY[status] ?? 'Refused'}${known.length ? `. Codes: ${known.map((c) => `\`${c}\``).join(', ')}` : ''}`,
    content: { 'application/problem+json': { schema: ProblemSchema } },
  };
}

const SUCCESS: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No content' };

const IDEMPOTENCY_KEY = {
  type: 'string',
  pattern: '^[\\x21-\\x7e]{1,255}$',
  description:
    'Makes a retry safe: the first answer (below 500) is kept and replayed for the same key and body (with Idempotent-Replayed: true); the same key with another body is refused with 409.',
};
const IF_MATCH = {
  type: 'string',
  pattern: '^\\s*(W/)?"?[0-9]{1,9}"?\\s*$',
  description: 'The ETag you read (e.g. "3"); the change is refused with 412 if the resource changed since.',
};

/** Card elements routes (api/elements): a publishable key in the query, or nothing for the public files. */
function elementsOperation(schema: Record<string, unknown>, kind: 'publishable' | 'public'): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, body] of Object.entries((schema.response ?? {}) as Record<string, unknown>)) {
    const n = Number(status);
    responses[status] = n >= 400 ? problemResponse(n) : { description: SUCCESS[n] ?? 'OK', ...(body as object) };
  }
  for (const n of kind === 'publishable' ? [400, 401, 403, 429, 500, 503] : [500]) responses[String(n)] ??= problemResponse(n);
  return { ...schema, security: kind === 'publishable' ? [{ publishableKey: [] }] : [], response: responses };
}

function operation(schema: Record<string, unknown>, route: RouteOptions): Record<string, unknown> {
  const config = (route.config ?? {}) as { scope?: string; neverStored?: boolean; ifMatch?: boolean; elements?: 'publishable' | 'public' };
  if (config.elements) return elementsOperation(schema, config.elements);
  const scope = config.scope;
  const out: Record<string, unknown> = { ...schema };
  const method = String(route.method);
  out.security = scope === 'admin' ? [{ adminToken: [] }] : [{ apiKey: [] }];
  if (scope && scope !== 'admin') {
    out.description = `${schema.description ? `${schema.description}\n\n` : ''}Needs an API key with the \`${scope}\` scope.`;
  }

  const headers: Record<string, unknown> = {};
  if (method === 'POST' && scope && scope !== 'admin') {
    headers['idempotency-key'] = config.neverStored
      ? { ...IDEMPOTENCY_KEY, description: 'Accepted, but this answer is never kept: each request is evaluated and audited again.' }
      : IDEMPOTENCY_KEY;
  }
  if (config.ifMatch) headers['if-match'] = IF_MATCH;
  if (Object.keys(headers).length) out.headers = { type: 'object', properties: headers };

  const responses: Record<string, unknown> = {};
  for (const [status, body] of Object.entries((schema.response ?? {}) as Record<string, unknown>)) {
    const n = Number(status);
    responses[status] = n >= 400 ? problemResponse(n) : { description: SUCCESS[n] ?? 'OK', ...(body as object) };
  }
  const add = (n: number) => {
    responses[String(n)] ??= problemResponse(n);
  };
  add(400);
  add(401);
  if (scope !== 'admin') add(403);
  if (schema.body) {
    add(413);
    add(415);
  }
  if (config.ifMatch) add(412);
  add(429);
  add(500);
  add(503);
  out.response = responses;
  return out;
}

export const document: ApiDocument = {
  title: 'tokenvault native API',
  description:
    'Cards, customers, payments and the audit log of one merchant, authenticated with its API key; and the operator’s merchant provisioning, authenticated with the admin token. Errors are RFC 9457 problem+json with a stable `code`. Every answer carries X-Request-Id (yours, when you send a safe one).',
  securitySchemes: {
    apiKey: { type: 'http', scheme: 'bearer', description: 'A merchant API key, `tv_sk_…`, with the scopes the operation names' },
    adminToken: { type: 'http', scheme: 'bearer', description: 'The operator’s admin token (TOKENVAULT_ADMIN_TOKEN)' },
    publishableKey: {
      type: 'apiKey',
      in: 'query',
      name: 'key',
      description: 'A publishable key, `tv_pk_…`, for card elements: it creates card tokens from its web origins and does nothing else',
    },
  },
  tags: [
    { name: 'cards', description: 'Card tokens' },
    { name: 'customers', description: 'Customers, their cards and addresses' },
    { name: 'payments', description: 'Payments and credits with tokens' },
    { name: 'audit', description: 'The tamper-evident audit log' },
    { name: 'admin', description: 'Operator: merchants and their credentials' },
    {
      name: 'elements',
      description: 'Card elements: hosted card fields for a checkout page, so the card number goes from the browser straight to the vault',
    },
  ],
  operation,
};
