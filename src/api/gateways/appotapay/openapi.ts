/** The AppotaPay credit-card tokens and charges OpenAPI document: what it says beyond each route's schema (see src/api/openapi.ts). */
import type { ApiDocument } from '../../openapi.ts';
import { HEADERS } from './schemas.ts';
import { REQUEST_ID_ANSWER } from './schemas-answers.ts';

/** What every operation shares: the headers it reads, and X-Request-ID on every answer. */
function operation(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema, headers: structuredClone(HEADERS) };
  const answers = (schema.response ?? {}) as Record<string, Record<string, unknown>>;
  out.response = Object.fromEntries(
    Object.entries(answers).map(([status, answer]) => [
      status,
      { ...answer, headers: { 'X-Request-ID': { ...REQUEST_ID_ANSWER }, ...((answer.headers as object | undefined) ?? {}) } },
    ]),
  );
  return out;
}

export const document: ApiDocument = {
  title: 'AppotaPay credit-card tokens and charges, wire-compatible',
  description: [
    "AppotaPay's merchant-hosted credit-card API as tokenvault serves it, with AppotaPay's paths, fields, codes and authentication (docs/appotapay.md): tokenize a card, delete a token, charge a token (authorize, or authorize and capture), read a charge, capture an authorization, refund a captured charge and reverse an authorization (each with its detail call).",
    '',
    'Every request carries `X-APPOTAPAY-AUTH`, a JWT signed HS256 with your secret key. Bodies are JSON: `Content-Type: application/json` is required (a GET or DELETE may leave it out); another type is refused with errorCode `1`.',
    '',
    'A success is HTTP 200. A refusal is another status with `{"errorCode": <int>, "message": "…", "errors": [{"field", "reason"}]}` (`errors` on refused fields); `message` is Vietnamese unless `Language: en` is sent.',
  ].join('\n'),
  securitySchemes: {
    appotapayJwt: {
      type: 'apiKey',
      in: 'header',
      name: 'X-APPOTAPAY-AUTH',
      description: [
        'A JWT (RFC 7519), optionally prefixed `Bearer `, signed HS256 with the UTF-8 bytes of your `secretKey`.',
        'Header `{"typ":"JWT","alg":"HS256","cty":"appotapay-api;v=1"}` (`cty` may be left out; another value is refused).',
        'Claims: `iss` your `partnerCode`, `api_key` your `apiKey`, `jti` `<apiKey>-<unix seconds>`, `exp` (required, in the future; AppotaPay samples use 300 seconds).',
        'Missing, unknown `api_key`, wrong `iss`, bad signature, another alg, expired or no `exp`: HTTP 401 errorCode `401`.',
      ].join(' '),
    },
  },
  tags: [
    { name: 'tokens', description: 'Card tokens: create and delete' },
    { name: 'charges', description: 'Charges with a token: create, read, capture' },
    { name: 'refunds', description: 'Refunds of captured charges: create, read' },
    { name: 'reversals', description: 'Reversals of authorizations: create, read' },
  ],
  operation,
};
