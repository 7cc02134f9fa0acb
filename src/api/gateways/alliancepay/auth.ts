/**
 * Who an AlliancePay request is from: a service code opens a virtual-device session (credentials through the
 * kit resolver); every other call names its session by `x-device_id` + `x-refresh_token` and carries a
 * request id used once per session. A refused authentication is thrown as a refusal carrying what the
 * pipeline (kit/pipeline.ts) audits: the scheme when it is not the route's, the reason and the merchant.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../../../vault/deps.ts';
import type { OpenSession } from '../../../vault/sessions.ts';
import { credentialResolver, type Resolved } from '../kit/credentials.ts';
import type { GatewayDeps } from '../kit/module.ts';
import { type Code, duplicate, invalid, type Refusal, refusal } from './codes.ts';

/** What a credential verifies and answers with. */
export interface Keys {
  allianceMerchantId: string;
  /** The merchant's key: answers are encrypted to it. */
  merchantPublic: KeyObject;
  /** The vault's payment key: card fields are encrypted to it. */
  paymentPrivate: KeyObject;
}
export type Credential = Resolved<Keys>;

/** An authenticated session call. */
export interface SessionCall {
  caller: Caller;
  cred: Credential;
  session: OpenSession;
}

export const header = (request: FastifyRequest, name: string): string | undefined => {
  const v = request.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** The request id every call must carry (at most 64 characters). */
export function requestId(request: FastifyRequest): string {
  const id = header(request, 'x-request_id');
  if (!id || id.length > 64) throw invalid('x-request_id', 'header is required');
  return id;
}

/** The media type of a request (its Content-Type without parameters, lower case; '' when absent). */
const mediaType = (request: FastifyRequest): string => (header(request, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * The Content-Type a route takes, checked before anything else: `application/json` for opening a session (the
 * authentication page), `text/plain` for the JWE body of every other call (the official SDK's request builder).
 * Anything else is refused with `b_request_is_not_correct` (*chosen*: AlliancePay documents no code for it).
 */
export function requireContentType(expected: 'application/json' | 'text/plain') {
  return (request: FastifyRequest): void => {
    if (mediaType(request) !== expected) {
      throw refusal('b_request_is_not_correct', { detail: `Content-Type must be ${expected}` });
    }
  };
}

/**
 * The credential a session call names before it is verified (the guard counts failures against it): its device
 * id, when it also presents a refresh token (without one it guesses nothing: its address counts it).
 */
export const claimedBySession = (request: FastifyRequest): string | null =>
  header(request, 'x-refresh_token') === undefined ? null : (header(request, 'x-device_id') ?? null);

const OPEN_FAILURES: Record<'unknown' | 'wrong_refresh' | 'expired', Code> = {
  unknown: 'b_unknown_device',
  wrong_refresh: 'b_used_token',
  expired: 'b_expired_token',
};

const sessionRefusal = (code: Code, merchantId: string | null): Refusal =>
  refusal(code, { auth: { scheme: 'session', reason: code, merchantId } });

export function createAuth({ merchants, sessions, replays, now }: Pick<GatewayDeps, 'merchants' | 'sessions' | 'replays' | 'now'>) {
  const credentials = credentialResolver(merchants, 'alliancepay', ({ publicData, secret }) => {
    const pub = publicData as { merchantId: string; merchantPublicJwk: JsonWebKey };
    return {
      allianceMerchantId: pub.merchantId,
      merchantPublic: createPublicKey({ key: pub.merchantPublicJwk, format: 'jwk' }),
      paymentPrivate: createPrivateKey({ key: secret.paymentPrivateJwk as JsonWebKey, format: 'jwk' }),
    };
  });

  return {
    /** The credential a service code names (authorize_virtual_device). */
    async byServiceCode(serviceCode: string): Promise<Credential> {
      const r = await credentials.byLookupKey(serviceCode);
      if (!r.ok) throw refusal('b_merchant_not_found');
      return r.credential;
    },

    /** A credential still usable, by its id (a callback is sealed to its merchant key); null when revoked. */
    async byId(credentialId: string, merchantId: string): Promise<Credential | null> {
      const r = await credentials.byId(credentialId, merchantId);
      return r.ok ? r.credential : null;
    },

    /** The session a call names, its credential still usable (the pipeline then takes the merchant's rate). */
    async session(request: FastifyRequest): Promise<SessionCall> {
      const deviceId = header(request, 'x-device_id');
      const refresh = header(request, 'x-refresh_token');
      if (!deviceId) throw sessionRefusal('b_virtual_device_not_found', null);
      if (!refresh) throw sessionRefusal('b_refresh_token_absent', null);
      const opened = await sessions.open(deviceId, refresh);
      if (!opened.ok) throw sessionRefusal(OPEN_FAILURES[opened.error], opened.merchantId ?? null);
      const { session } = opened;
      const r = await credentials.byId(session.credentialId, session.merchantId);
      if (!r.ok) throw sessionRefusal('b_unknown_device', session.merchantId);
      const cred = r.credential;
      const caller: Caller = { merchantId: cred.merchantId, actor: `alliancepay:${cred.credentialId}` };
      return { caller, cred, session };
    },

    /**
     * The call's request id, new in its session: a captured request cannot be replayed (after the rate check).
     * A replay claim shared by every instance, held while the session lives (after that the session refuses).
     */
    async claimRequestId(call: SessionCall, request: FastifyRequest): Promise<void> {
      const id = requestId(request);
      const ttlMs = call.session.expiresAt.getTime() - now().getTime();
      const namespace = `alliancepay-request:${call.caller.merchantId}:${call.session.deviceId}`;
      if (!(await replays.claim(namespace, id, '1', ttlMs)).claimed) {
        throw duplicate('x-request_id', { scheme: 'session', reason: 'replayed_request_id', merchantId: call.caller.merchantId });
      }
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
