/**
 * What makes a Cybersource request single-use (SECURITY.md "Replays", docs/cybersource.md): a v2 JWT's `jti` is
 * claimed across instances until the token expires; a v1 JWT (x5c) is bound to the method and path of the first
 * request it is used for, and may be used again only for the same safe request (an identical GET in the same
 * second is legitimate); a state-changing request signed with HTTP Signature or a v1 JWT is deduplicated by a
 * key over what the signature covers, within the window its Date (or iat) is accepted for, so a byte-identical
 * replay gets the first answer and changes nothing.
 */
import { createHash } from 'node:crypto';
import type { ReplayService } from '../../../vault/replay.ts';
import type { DedupeKey } from '../kit/first-answers.ts';

export type ReplayClaims = Pick<ReplayService, 'claim'>;

const SAFE_METHODS = new Set(['get', 'head']);
export const isSafe = (method: string): boolean => SAFE_METHODS.has(method.toLowerCase());

const digestOf = (...parts: string[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('base64url');
};

/** Milliseconds until a time accepted within ±skew stops being accepted (at least one second). */
const windowFrom = (atMs: number, nowMs: number, skewSeconds: number): number => Math.max(1000, atMs + skewSeconds * 1000 - nowMs + 1000);

/** A v2 JWT's id, claimed for the credential until the token expires: false when it was used before. */
export async function claimJti(claims: ReplayClaims, credentialId: string, jti: string, expMs: number, nowMs: number): Promise<boolean> {
  return (await claims.claim('cybersource-jti', `${credentialId}:${jti}`, '1', Math.max(1000, expMs - nowMs + 1000))).claimed;
}

export interface V1Use {
  credentialId: string;
  token: string;
  method: string;
  /** Path with query, as received. */
  url: string;
  iatMs: number;
}

/**
 * Binds a v1 JWT to the request it is first used for, on every instance. Returns 'refused' when the token was
 * first used for another method or path; else the dedupe key of a state-changing request (a later use of its
 * token is a replay of it, answered with the first answer), or null for a safe one.
 */
export async function bindV1(claims: ReplayClaims, use: V1Use, nowMs: number, skewSeconds: number): Promise<DedupeKey | null | 'refused'> {
  const tokenHash = digestOf(use.token);
  const binding = `${use.method.toUpperCase()} ${use.url}`;
  const ttlMs = windowFrom(use.iatMs, nowMs, skewSeconds);
  const held = await claims.claim('cybersource-v1', `${use.credentialId}:${tokenHash}`, binding, ttlMs);
  if (!held.claimed && held.value !== binding) return 'refused';
  return isSafe(use.method) ? null : { key: digestOf('cybersource-v1', use.credentialId, tokenHash), ttlMs };
}

export interface SignedRequest {
  credentialId: string;
  method: string;
  url: string;
  /** The signed Date header. */
  date: string;
  /** The Digest header, or the body's own SHA-256 when it has none (DELETE). */
  digest: string;
}

/** The dedupe key of a state-changing request signed with HTTP Signature (null for a safe one). */
export function signatureDedupe(req: SignedRequest, nowMs: number, skewSeconds: number): DedupeKey | null {
  if (isSafe(req.method)) return null;
  return {
    key: digestOf('cybersource-signature', req.credentialId, req.method.toUpperCase(), req.url, req.date, req.digest),
    ttlMs: windowFrom(Date.parse(req.date), nowMs, skewSeconds),
  };
}
