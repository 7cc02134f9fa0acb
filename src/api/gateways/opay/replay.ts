/**
 * OPay's replay rule (SECURITY.md "Replays", README "OPay"): its requests carry no time and no nonce, and the
 * signature may be over the canonical form of the body, so a state-changing call (create, delete) is
 * deduplicated by its operation and canonical body (the create's `reference` with it) for a day: a replay of a
 * captured request, however re-spaced, gets the first answer and changes nothing. `query` only reads.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { DedupeKey } from '../kit/first-answers.ts';
import type { OpayAuthenticated } from './auth.ts';
import { refuse } from './codes.ts';
import { canonicalJson } from './signature.ts';

/** How long a first answer is kept: OPay's wire has no time to bound a replay by (our choice). */
export const OPAY_REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

const WRITES = new Set(['create', 'delete']);

/** The dedupe key of a state-changing call, by its operation (the last path segment) and canonical body. */
export function opayDedupe({ parsed }: OpayAuthenticated, request: FastifyRequest): DedupeKey | null {
  const op = (request.routeOptions.url ?? request.url).split('/').pop() ?? '';
  if (!WRITES.has(op) || parsed === undefined) return null;
  const key = createHash('sha256').update(`opay\0${op}\0`).update(canonicalJson(parsed)).digest('base64url');
  return { key, ttlMs: OPAY_REPLAY_WINDOW_MS };
}

export const inProgress = () => refuse('duplicate', 'an identical request is still being processed');
