/**
 * The Cybersource Token Management Service (TMS) and Payments (PTS) OpenAPI document: what it says beyond
 * each route's schema (see src/api/openapi.ts). Every route takes the same four credentials; every success
 * with a body may come back encrypted (MLE); every route answers the same refusals (401, 403, 413, 429,
 * 503, …) in its family's shape: TMS `{errors:[…]}`, PTS `{submitTimeUtc, status, reason, message}`.
 *
 * Routes declare their responses in a short form the transform expands:
 * `{ 201: { description, schema, etag? }, 204: { description }, 404: { description } }` — statuses of 400
 * and above get their body shape here, from the family and the status.
 */
import type { RouteOptions } from 'fastify';
import type { ApiDocument } from '../../openapi.ts';
import { AuthFailed, EncryptedResponse, ptsError, type Schema, tmsError } from './schemas/index.ts';

export interface RouteResponse {
  description: string;
  schema?: Schema;
  /** The answer carries an ETag (TMS records). */
  etag?: boolean;
}

const SECURITY = [{ httpSignature: [] }, { jwtSharedSecret: [] }, { jwtCertificate: [] }, { jwtLegacyCertificate: [] }];

const ETAG = {
  type: 'string',
  description: 'The record’s version, opaque; send it back in `if-match` to change this version only.',
};
const RETRY_AFTER = { type: 'string', pattern: '^[0-9]+$', description: 'Seconds to wait before retrying.' };

/** Why each refusal happens, by family and status. */
const TMS_ERRORS: Record<number, [types: string[], why: string]> = {
  400: [
    ['invalidFields', 'missingFields', 'invalidHeaders', 'invalidRequest'],
    'A field is missing or invalid (`details` names it), the body is not a JSON object, Content-Type is not JSON, `v-c-response-mle-kid` is not the merchant’s MLE key, or the URL is malformed',
  ],
  403: [['forbidden'], 'An encrypted answer (MLE) was asked for, but the merchant has no MLE key registered'],
  404: [['notFound'], 'No such token for this merchant (another merchant’s ids are not found either)'],
  409: [['conflict', 'instrumentIdentifierDeletionError'], 'Conflicts with the current state'],
  410: [['notAvailable'], 'The instrument identifier was deleted: its card number is gone'],
  412: [['conflict'], '`if-match` does not match the current version'],
  413: [['invalidFields'], 'The body is larger than the server’s limit'],
  424: [['notFound'], 'A token the body refers to was not found'],
  429: [
    ['tooManyRequests'],
    'Over the merchant’s rate limit, or the client is locked out after repeated authentication failures; Retry-After says when to retry',
  ],
  500: [['internalError'], 'An internal error'],
  503: [['serviceUnavailable'], 'The database is unavailable; retry later'],
};

const PTS_ERRORS: Record<number, [status: string[], reasons: string[], why: string]> = {
  400: [
    ['INVALID_REQUEST'],
    ['MISSING_FIELD', 'INVALID_DATA', 'INVALID_AMOUNT', 'INVALID_CARD', 'INVALID_PAYMENT_ID'],
    'A field is missing or invalid (`details` names it), a token is unknown, another merchant’s or unusable (`INVALID_DATA`), the payment id is unknown (`INVALID_PAYMENT_ID`), the payment’s state does not allow it, the body is not a JSON object, or the URL is malformed. (A `v-c-response-mle-kid` that is not the merchant’s MLE key is refused in the TMS shape, `invalidHeaders`.)',
  ],
  403: [
    ['INVALID_REQUEST'],
    ['INVALID_MERCHANT_CONFIGURATION'],
    'An encrypted answer (MLE) was asked for, but the merchant has no MLE key registered',
  ],
  413: [['INVALID_REQUEST'], ['INVALID_DATA'], 'The body is larger than the server’s limit'],
  429: [
    ['SERVER_ERROR'],
    ['TOO_MANY_REQUESTS'],
    'Over the merchant’s rate limit, or the client is locked out after repeated authentication failures; Retry-After says when to retry',
  ],
  502: [
    ['SERVER_ERROR'],
    ['SERVER_TIMEOUT', 'SYSTEM_ERROR'],
    'The processor did not answer in time (nothing was charged), or an internal error',
  ],
  503: [['SERVER_ERROR'], ['SYSTEM_ERROR'], 'The database is unavailable; retry later'],
};

/** A JSON media object; the schema's first example becomes the media example. */
function json(withExamples: Schema) {
  const { examples, ...schema } = structuredClone(withExamples) as Schema & { examples?: unknown[] };
  return { 'application/json': { schema, ...(examples?.length ? { example: examples[0] } : {}) } };
}

function errorResponse(status: number, pts: boolean, description?: string): Record<string, unknown> {
  const headers = status === 429 || status === 503 ? { headers: { 'retry-after': RETRY_AFTER } } : {};
  if (status === 401) {
    return {
      description:
        'The credential is missing, unknown, or does not verify (signature, digest, date, claims, replayed jti). Nothing was changed.',
      content: json(AuthFailed),
    };
  }
  if (pts) {
    const known = PTS_ERRORS[status];
    const [statusText, reasons, why] = known ?? [['INVALID_REQUEST'], ['INVALID_DATA'], 'Refused'];
    const shape = ptsError(statusText, reasons);
    // The MLE key-id refusal keeps the TMS shape on every route.
    const { examples, ...plain } = shape;
    const { examples: _, ...headerRefusal } = tmsError(['invalidHeaders']);
    const schema = status === 400 ? { anyOf: [plain, headerRefusal], examples } : shape;
    return { description: description ?? why, ...headers, content: json(schema) };
  }
  const [types, why] = TMS_ERRORS[status] ?? [['invalidFields'], 'Refused'];
  const example =
    status === 412 ? { type: 'conflict', message: 'The token was changed since it was read (if-match does not match)' } : undefined;
  return { description: description ?? why, ...headers, content: json(tmsError(types, example)) };
}

function successResponse(r: RouteResponse): Record<string, unknown> {
  const headers = r.etag ? { headers: { etag: ETAG } } : {};
  if (!r.schema) return { description: r.description, ...headers, type: 'null' };
  const { examples, ...schema } = structuredClone(r.schema) as Schema & { examples?: unknown[] };
  return {
    description: `${r.description}. With response MLE (the JWT claim \`v-c-response-mle-kid\`) the body is \`{"encryptedResponse": "<JWE>"}\`; with \`Accept: application/jose\` it is the compact JWE itself.`,
    ...headers,
    content: {
      'application/json': {
        schema: { anyOf: [schema, EncryptedResponse] },
        ...(examples?.length ? { example: examples[0] } : {}),
      },
      'application/jose': {
        schema: { type: 'string', description: 'A compact JWE (RSA-OAEP-256, A256GCM) of the JSON answer, to the merchant’s MLE key' },
      },
    },
  };
}

const HEADER = {
  'v-c-merchant-id': {
    type: 'string',
    maxLength: 64,
    description: 'HTTP Signature: your Cybersource merchant id (signed). Not used with JWT.',
  },
  date: { type: 'string', description: 'HTTP Signature: RFC 7231 date (signed), within the server’s clock skew (300 s by default).' },
  digest: {
    type: 'string',
    pattern: '^SHA-256=',
    description: 'HTTP Signature: `SHA-256=` + base64 SHA-256 of the exact body bytes (signed). With JWT the digest is a claim.',
  },
  'profile-id': { type: 'string', description: 'Accepted and ignored.' },
  'if-match': {
    type: 'string',
    description: 'The ETag you read; the change is refused with 412 if the record changed since. `*` matches any version.',
  },
};

function operation(schema: Record<string, unknown>, route: RouteOptions): Record<string, unknown> {
  const url = String(route.url);
  const method = String(route.method);
  const pts = url.startsWith('/pts/');
  const hasBody = method === 'POST' || method === 'PATCH';
  const out: Record<string, unknown> = { ...schema, security: SECURITY };

  const headers: Record<string, unknown> = {
    'v-c-merchant-id': HEADER['v-c-merchant-id'],
    date: HEADER.date,
    ...(hasBody ? { digest: HEADER.digest } : {}),
    ...(pts ? {} : { 'profile-id': HEADER['profile-id'] }),
    ...(method === 'PATCH' ? { 'if-match': HEADER['if-match'] } : {}),
  };
  out.headers = { type: 'object', properties: headers };
  if (hasBody) out.consumes = ['application/json'];

  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries((schema.response ?? {}) as Record<string, RouteResponse>)) {
    const n = Number(status);
    responses[status] = n >= 400 ? errorResponse(n, pts, r.description) : successResponse(r);
  }
  const add = (n: number) => {
    responses[String(n)] ??= errorResponse(n, pts);
  };
  add(400);
  add(401);
  add(403);
  if (hasBody) add(413);
  add(429);
  if (pts) add(502);
  else add(500);
  add(503);
  out.response = responses;
  return out;
}

export const document: ApiDocument = {
  title: 'Cybersource Token Management Service (TMS) and Payments (PTS), wire-compatible',
  description: [
    'Cybersource’s customer tokens (customers, their payment instruments and shipping addresses), instrument identifiers and standalone payment instruments (TMS), and payments with those tokens (PTS), served by tokenvault with the gateway’s own paths, fields, codes, authentication and message-level encryption (docs/cybersource.md). The official `cybersource-rest-client` SDKs work unchanged.',
    '',
    '**Authentication**: every operation takes one of four credentials — HTTP Signature, or a bearer JWT (v2 HS256 with the shared secret, v2 RS256 with a registered certificate, or v1 RS256 with the certificate in `x5c`). A refused credential is a 401 with nothing changed.',
    '',
    '**Errors**: TMS answers `{"errors":[{"type","message","details":[{"name","location"}]}]}`; PTS answers `{"submitTimeUtc","status","reason","message","details":[{"field","reason"}]}`. A declined authorization is not an error: it is a 201 with `status: DECLINED` and `errorInformation`.',
    '',
    '**Message-level encryption (MLE)**: with `Accept: application/jose` a successful answer is a compact JWE (`application/jose`) to the merchant’s MLE key; with the SDK’s response MLE (JWT claim `v-c-response-mle-kid`) it is `{"encryptedResponse":"<JWE>"}`. Only there does a GET of a customer, payment instrument or instrument identifier carry the full card number; each such answer is audited.',
    '',
    '**Ids**: customers, payment instruments and shipping addresses are 32 upper-case hex; instrument identifiers 19 digits starting `70`; payments and credits 22 digits. Objects are open: members this server does not read are ignored.',
  ].join('\n'),
  securitySchemes: {
    httpSignature: {
      type: 'apiKey',
      in: 'header',
      name: 'signature',
      description:
        'HTTP Signature: `signature: keyid="<keyId>", algorithm="HmacSHA256", headers="host date request-target digest v-c-merchant-id", signature="<base64>"` (no `digest` on GET and DELETE; `(request-target)` is accepted too). The signature is base64 HMAC-SHA256, keyed with the base64-decoded shared secret, of the lines `<name>: <value>` joined by `\\n`, with `request-target: <lowercase method> <path and query as sent>`. Send `v-c-merchant-id`, `date` (within the clock skew) and, with a body, `digest: SHA-256=<base64 SHA-256 of the body>`.',
    },
    jwtSharedSecret: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'JWT v2 signed HS256 with the base64-decoded shared secret; header `kid` = keyId. Claims: `iss` and `v-c-merchant-id` = the merchant, `v-c-jwt-version: "2"`, `iat`, `exp` (at most 120 s plus skew after `iat`), `jti` (single use), `request-host`, `request-resource-path` (path and query), `request-method` (lowercase), and with a body `digest` (base64 SHA-256) and `digest-algorithm: "SHA-256"`. Optional `v-c-response-mle-kid` asks for an encrypted answer.',
    },
    jwtCertificate: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'JWT v2 signed RS256 with the private key of a certificate registered for the merchant (PUT /v1/admin/merchants/{id}/gateways/cybersource/keys); header `kid` = the certificate’s kid (its subject serialNumber). Same claims as the shared-secret JWT.',
    },
    jwtLegacyCertificate: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'JWT v1 signed RS256: header `v-c-merchant-id` and `x5c: [<base64 DER of a registered certificate>]`; claims `iat` (an RFC 1123 date within the clock skew) and with a body `digest` and `digestAlgorithm: "SHA-256"`.',
    },
  },
  tags: [
    { name: 'customers', description: 'Customer tokens' },
    { name: 'customer payment instruments', description: 'A customer’s payment instruments (card tokens)' },
    { name: 'customer shipping addresses', description: 'A customer’s shipping addresses' },
    { name: 'instrument identifiers', description: 'Tokenized card numbers, shared by payment instruments' },
    { name: 'payment instruments', description: 'Payment instruments by id, with or without a customer' },
    { name: 'payments', description: 'Authorizations, captures, reversals, refunds and credits with tokens (PTS)' },
  ],
  operation,
};
