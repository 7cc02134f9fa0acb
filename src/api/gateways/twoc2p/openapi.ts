/** The 2C2P customer tokens (PGW v4.3 customer token API) OpenAPI document: what it says beyond each route's schema (see src/api/openapi.ts). */
import type { ApiDocument } from '../../openapi.ts';

const RETRY_AFTER = { 'retry-after': { type: 'string', pattern: '^[0-9]+$', description: 'Seconds to wait before retrying.' } };

/**
 * The answers every operation can give before a message is trusted. They are plain text and say nothing
 * more, since nothing can be signed and encrypted to a caller not yet known (codes.ts, guard.renderer).
 */
const REFUSALS: Record<number, Record<string, unknown>> = {
  400: {
    'x-response-description':
      'The message was not accepted: no body, not a compact JWS, a signature that matches no registered merchant key (or an `alg` other than PS256), a JWE that does not decrypt with the vault key, a revoked credential, a body over the size limit, an unreadable content type, or a malformed URL. Audited as a failed authentication; too many from one client lock it out (429).',
    description: 'Always this text, whatever the cause.',
    type: 'string',
    const: 'Invalid request',
    examples: ['Invalid request'],
  },
  429: {
    'x-response-description': 'Too many requests for this merchant, or too many failed authentications from this client.',
    description: 'Always this text, whatever the cause.',
    type: 'string',
    const: 'Too many requests',
    headers: RETRY_AFTER,
    examples: ['Too many requests'],
  },
  500: {
    'x-response-description': 'An internal error (logged with the request id in X-Request-Id; the answer says nothing more).',
    description: 'Always this text, whatever the cause.',
    type: 'string',
    const: 'Internal error',
    examples: ['Internal error'],
  },
  503: {
    'x-response-description': 'The database is unavailable; retry later.',
    description: 'Always this text, whatever the cause.',
    type: 'string',
    const: 'Service unavailable',
    headers: RETRY_AFTER,
    examples: ['Service unavailable'],
  },
};

function operation(schema: Record<string, unknown>): Record<string, unknown> {
  const response = { ...((schema.response ?? {}) as Record<string, unknown>) };
  for (const [status, body] of Object.entries(REFUSALS)) response[status] ??= { ...body };
  return { ...schema, response };
}

export const document: ApiDocument = {
  title: '2C2P customer tokens (PGW v4.3 customer token API), wire-compatible',
  description: [
    "2C2P's Customer Token Maintenance (`customertoken/3.0`) served by tokenvault with the gateway's own paths, fields, response codes and message security: point a 2C2P integration at tokenvault and give it the keys from the merchant's provisioning.",
    '',
    '**Message security** (no HTTP-level credential, so operations list none): each request body is a compact JWS signed with PS256 by your merchant private key, whose public key is registered with tokenvault (the 2C2P portal’s "Merchant Public Keys"); its payload is a compact JWE (RSA-OAEP + A256GCM) encrypted to the vault public key (2C2P’s "2C2P Public Keys > JWE"). The merchant is found by the key that verifies the signature, and the payload’s merchantID must be that merchant’s. Answers are the mirror: verify with the vault public key, decrypt with your merchant private key.',
    '',
    'Every request and answer body is a signed, encrypted message (a compact JWS over a compact JWE); each operation documents the JSON inside as `x-payload-schema`. Once a message verifies, every outcome is HTTP 200 with a `responseCode` inside: `0000` success, anything else a refusal (2C2P publishes no codes for this API; these follow its PGW v4 list). A message that does not verify gets a plain-text 400 and nothing more.',
  ].join('\n'),
  // OpenAPI has no scheme for a signed body, and naming a near one (mutualTLS) would send code generators
  // after client certificates: operations state `security: []` and the description above says how it works.
  securitySchemes: {},
  tags: [{ name: 'customer tokens', description: 'Customer Token Maintenance: add, update, inquire and delete card tokens' }],
  operation,
};
