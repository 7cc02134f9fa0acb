/**
 * AlliancePay's replay rules (SECURITY.md "Replays", docs/alliancepay.md): the `x-request_id` of a session call
 * is used once in its session (auth.ts, claimed in the database every instance shares); a session call's body
 * is a JWE, random for every encryption, so a state-changing call is also deduplicated by the digest of its
 * body within its session's life: a captured body replayed with a fresh request id gets the first answer and
 * changes nothing (a token suspended by the merchant stays suspended). The digest is of the JWE as it is read
 * (`bodyJwe`: whitespace around it does not count), and a JWE is read only in its canonical base64url
 * (crypto/ecdh-es.ts), so no respelling of a captured body is a new request.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { DedupeKey } from '../kit/first-answers.ts';
import type { SessionCall } from './auth.ts';
import { type Refusal, refusal } from './codes.ts';
import { bodyJwe } from './message-crypto.ts';
import { PATHS } from './schemas.ts';

/** Session calls that only read. */
const READS = new Set<string>([PATHS.list, PATHS.get, PATHS.operation, PATHS.byReference]);

/** The dedupe key of a state-changing session call: its session, path and body's JWE; kept while the session lives. */
export function sessionDedupe(now: () => Date) {
  return (call: SessionCall, request: FastifyRequest): DedupeKey | null => {
    const path = request.routeOptions.url ?? request.url;
    if (READS.has(path)) return null;
    const key = createHash('sha256')
      .update(`alliancepay\0${call.session.deviceId}\0${path}\0`)
      .update(bodyJwe(request.body))
      .digest('base64url');
    return { key, ttlMs: call.session.expiresAt.getTime() - now().getTime() };
  };
}

/** A replay of a call still being answered: AlliancePay's duplicate, naming the body. */
export const inProgress = (): Refusal =>
  refusal('b_duplicate_field_value', { fields: [{ field: 'jwe', reason: 'an identical request is still being processed' }] });
