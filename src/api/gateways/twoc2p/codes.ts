/**
 * 2C2P response codes used by this API (gateways.md §1.4: 0000 from the seed; the failure codes are the
 * PGW v4 vocabulary, since 2C2P publishes none specific to customer tokens), and how a refusal is answered:
 * inside the signed, encrypted envelope once a message is trusted, else one plain text that says nothing more.
 */
import type { FastifyReply } from 'fastify';
import type { Renderer } from '../../guard.ts';
import type { Body } from '../kit/fields.ts';
import { GatewayRefusal } from '../kit/refusal.ts';

export const CODES = {
  success: { code: '0000', desc: 'Success' },
  invalid: { code: '9004', desc: 'The value is not valid' },
  missing: { code: '9005', desc: 'Mandatory field is missing' },
  tooLong: { code: '9006', desc: 'Field exceeds its maximum length' },
  merchant: { code: '9007', desc: 'Invalid merchant' },
  token: { code: '9040', desc: 'Token is invalid' },
  unknown: { code: '9993', desc: 'Unknown error' },
} as const;

export type CodeName = keyof typeof CODES;

/** A refusal answered in the envelope (a CodeName), or `untrusted`: a message that did not verify or decrypt. */
export type Twoc2pCode = CodeName | 'untrusted';
export type Twoc2pRefusal = GatewayRefusal<Twoc2pCode>;

/** A refusal inside the envelope, `desc` its responseDesc. */
export const refusal = (code: CodeName, desc: string): Twoc2pRefusal => new GatewayRefusal<Twoc2pCode>(code, { detail: desc });

/** The audited scheme of a 2C2P authentication: a signed (and encrypted) message. */
export const SCHEME = 'jws';

/** A message refused before it is trusted: audited as a failed JWS authentication, answered with the plain 400. */
export const untrusted = (reason: string): Twoc2pRefusal =>
  new GatewayRefusal<Twoc2pCode>('untrusted', { auth: { scheme: SCHEME, reason } });

export const isTwoc2pRefusal = (e: unknown): e is Twoc2pRefusal => e instanceof GatewayRefusal;

/** responseCode and responseDesc, the desc defaulting to the code's own. */
export const status = (name: CodeName, desc?: string) => ({ responseCode: CODES[name].code, responseDesc: desc ?? CODES[name].desc });

export type Twoc2pOperation = 'add' | 'update' | 'get' | 'delete';

/** The envelope answer to a refusal, with the echo fields a client matches it to its request by. */
export function failureBody(op: Twoc2pOperation, p: Body, r: Twoc2pRefusal): Body {
  const code = r.code === 'untrusted' ? 'unknown' : r.code;
  return {
    merchantID: typeof p.merchantID === 'string' ? p.merchantID : '',
    ...(op !== 'add' && typeof p.token === 'string' ? { token: p.token } : {}),
    ...status(code, r.detail),
  };
}

const PLAIN = {
  400: 'Invalid request',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
} as const;

/** The plain-text answers before a message is trusted: nothing can be signed to an unknown caller. */
export const plain = (reply: FastifyReply, code: keyof typeof PLAIN): FastifyReply =>
  reply.code(code).type('text/plain; charset=utf-8').send(PLAIN[code]);

/** The guard's renderer for this API (400, 429, 503). */
export const renderGuard: Renderer = (reply, code) => plain(reply, code);
