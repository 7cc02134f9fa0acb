/**
 * 2C2P's replay rule (SECURITY.md "Replays", README "2C2P"): a request is a JWS with no time or nonce in it, so
 * a state-changing call (add, update, delete) is deduplicated by its operation and the JWS it carries (however
 * the body wraps it) for a day: a replay gets the first answer, sealed as it was, and changes nothing. A replay
 * of one still being answered gets the one plain 400 (2C2P's wire has no "in progress" code). `get` only reads.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { DedupeKey } from '../kit/first-answers.ts';
import { jwsOf, type Twoc2pAuthenticated } from './auth.ts';
import type { Twoc2pOperation } from './codes.ts';

/** How long a first answer is kept: the wire has no time to bound a replay by (our choice). */
export const TWOC2P_REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

const WRITES = new Set<Twoc2pOperation>(['add', 'update', 'delete']);

export const twoc2pDedupe =
  (op: Twoc2pOperation) =>
  (_auth: Twoc2pAuthenticated, request: FastifyRequest): DedupeKey | null => {
    if (!WRITES.has(op)) return null;
    const key = createHash('sha256').update(`twoc2p\0${op}\0`).update(jwsOf(request.body)).digest('base64url');
    return { key, ttlMs: TWOC2P_REPLAY_WINDOW_MS };
  };
