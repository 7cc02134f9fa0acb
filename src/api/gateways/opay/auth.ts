/**
 * Who sent an OPay request: the MerchantId header names the credential, and `Authorization: Bearer <hex>` must
 * be the HMAC-SHA512 of the body under its secret key (signature.ts). The body is parsed here, once: the
 * signature may be over its canonical form, and the operations read the same value.
 */
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../../../vault/deps.ts';
import { parseJsonBounded } from '../../json.ts';
import { rawText } from '../kit/body.ts';
import { type CredentialSource, credentialResolver } from '../kit/credentials.ts';
import { type Body, isPlainObject } from '../kit/fields.ts';
import { GatewayRefusal } from '../kit/refusal.ts';
import { type CodeName, refuse } from './codes.ts';
import { signatureMatches } from './signature.ts';

export const SCHEME = 'hmac-sha512';

export interface OpayAuthenticated {
  caller: Caller;
  /** The body as JSON; undefined when it is not JSON (refused only after authentication and the rate check). */
  parsed: unknown;
}

const MERCHANT_ID = /^[0-9]{1,20}$/;

/** The signature of `Authorization: Bearer <hex>`, or null. */
function bearerOf(request: FastifyRequest): string | null {
  const auth = request.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth.trim()) : null;
  return m ? (m[1] as string) : null;
}

/**
 * The credential a request names before it is verified (the guard counts failures against it): its MerchantId,
 * when it also presents a signature. A request without one guesses nothing: it counts toward its address only.
 */
export function claimedBy(request: FastifyRequest): string | null {
  const id = request.headers.merchantid;
  return typeof id === 'string' && MERCHANT_ID.test(id) && bearerOf(request) !== null ? id : null;
}

const refused = (code: 'header' | 'auth', reason: string, merchantId: string | null = null) =>
  new GatewayRefusal<CodeName>(code, { auth: { scheme: SCHEME, reason, merchantId } });

function parsedBody(raw: string): unknown {
  try {
    return parseJsonBounded(raw);
  } catch {
    return undefined;
  }
}

export function opayAuthenticator(merchants: CredentialSource): (request: FastifyRequest) => Promise<OpayAuthenticated> {
  // Secret keys by MerchantId, decrypted once; every request re-reads the credential's row.
  const secrets = credentialResolver(merchants, 'opay', ({ secret }) => secret.secretKey as string);

  return async function authenticate(request) {
    const raw = rawText(request.body);
    const parsed = parsedBody(raw);
    const merchantHeader = request.headers.merchantid;
    const bearer = bearerOf(request);
    if (typeof merchantHeader !== 'string' || bearer === null || !MERCHANT_ID.test(merchantHeader)) {
      throw refused('header', 'missing_or_malformed_header');
    }
    // Unknown and no longer usable answer (and audit) alike: the MerchantId names no merchant that may call.
    const found = await secrets.byLookupKey(merchantHeader);
    if (!found.ok) throw refused('auth', 'unknown_merchant');
    const { credentialId, merchantId, value: secret } = found.credential;
    if (!signatureMatches(secret, bearer, raw, parsed)) throw refused('auth', 'bad_signature', merchantId);
    return { caller: { merchantId, actor: `opay:${credentialId}` }, parsed };
  };
}

/** The body an operation reads: a JSON object, else a `99`. */
export function requestBody({ parsed }: OpayAuthenticated): Body {
  if (parsed === undefined) throw refuse('params', 'the body is not valid JSON');
  if (!isPlainObject(parsed)) throw refuse('params', 'the body must be a JSON object');
  return parsed;
}
