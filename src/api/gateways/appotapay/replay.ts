/**
 * AppotaPay's replay rule (SECURITY.md "Replays", docs/appotapay.md). Its JWT's `jti` is `<apiKey>-<unix
 * seconds>` in AppotaPay's own samples, so two legitimate calls in one second share it: it cannot be single-use.
 * Instead a state-changing call (token create and delete, charge, capture, refund, reversal) is deduplicated by the exact request
 * — method, path with query, the JWT and the body — while its JWT lives (at most a day): a captured request
 * replayed within the token's life gets the first answer and changes nothing (no second capture). A second
 * request with a new JWT is a new request; `merchantRefId` and `X-Request-ID` keep their own single use.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { rawText } from '../kit/body.ts';
import type { DedupeKey } from '../kit/first-answers.ts';
import type { AppotaAuthenticated } from './auth.ts';
import { refusal } from './codes.ts';

/** The longest a first answer is kept, whatever the JWT's exp says (a JWT living longer stays replayable after). */
export const APPOTAPAY_MAX_REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

export const appotaDedupe =
  (now: () => Date) =>
  ({ jwt }: AppotaAuthenticated, request: FastifyRequest): DedupeKey | null => {
    if (request.method === 'GET' || request.method === 'HEAD') return null;
    const key = createHash('sha256')
      .update(`appotapay\0${request.method}\0${request.url}\0${jwt.token}\0`)
      .update(rawText(request.body))
      .digest('base64url');
    return { key, ttlMs: Math.min(APPOTAPAY_MAX_REPLAY_WINDOW_MS, jwt.expMs - now().getTime() + 1000) };
  };

/** A replay of a request still being answered: AppotaPay's "duplicate request" (6). */
export const inProgress = () => refusal(6, [{ field: 'X-APPOTAPAY-AUTH', reason: 'an identical request is still being processed' }]);
