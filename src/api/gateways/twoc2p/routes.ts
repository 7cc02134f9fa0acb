/**
 * 2C2P Customer Token Maintenance (customertoken/3.0), wire-compatible: add, update, get (inquiry), delete.
 * Business and validation failures are answered inside the signed, encrypted envelope with a non-0000
 * responseCode (operations/tokens.ts); a message that does not verify or decrypt gets one plain 400 that
 * says nothing more (auth.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CardService } from '../../../vault/cards.ts';
import type { MerchantService } from '../../../vault/merchants.ts';
import { type Guard, gatewayErrorHandler } from '../../guard.ts';
import { documentWire } from '../../openapi.ts';
import { keepRawBody, parseObject } from '../kit/body.ts';
import { authenticate } from './auth.ts';
import { plain, renderGuard, status, type Twoc2pOperation } from './codes.ts';
import { createTwoc2pCrypto, type Twoc2pCrypto } from './message-crypto.ts';
import { answer, type TokenCards } from './operations/tokens.ts';
import { routeSchema } from './schemas.ts';

interface Twoc2pContext {
  cards: TokenCards;
  guard: Guard;
  crypto: Twoc2pCrypto;
}

/** One operation's handler: authenticate, throttle, read the payload, answer in the envelope. */
function handler(ctx: Twoc2pContext, op: Twoc2pOperation) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const opened = await authenticate(ctx, request, reply);
    if (!opened) return reply;
    if (ctx.guard.throttled('twoc2p', opened.merchant.merchantId, reply)) return reply;
    const payload = parseObject(opened.plaintext);
    const body = payload.ok
      ? await answer(ctx.cards, op, opened.merchant, payload.value)
      : { merchantID: '', ...status('invalid', 'The payload is not a JSON object') };
    return reply.type('text/plain').send(await ctx.crypto.seal(opened, body));
  };
}

export async function registerTwoc2p(
  app: FastifyInstance,
  deps: { merchants: MerchantService; cards: CardService; guard: Guard },
): Promise<void> {
  const ctx: Twoc2pContext = { cards: deps.cards, guard: deps.guard, crypto: createTwoc2pCrypto(deps.merchants) };
  // Refusals before a message is trusted are plain text: nothing can be signed to an unknown caller.
  deps.guard.renderer('twoc2p', renderGuard);
  app.register(async (scope) => {
    // The schemas document the wire; the handler verifies, decrypts and checks fields itself (schemas.ts).
    documentWire(scope);
    scope.setErrorHandler(gatewayErrorHandler('twoc2p', deps.guard, (reply, p) => plain(reply, p.status >= 500 ? 500 : 400)));
    // 2C2P clients post the compact JWS as text/plain; some send JSON {"payload": "<jws>"} (the app's JSON parser).
    keepRawBody(scope, 'string', ['text/plain', 'application/jose', 'application/octet-stream']);
    for (const op of ['add', 'update', 'get', 'delete'] as const) {
      scope.post(`/customertoken/3.0/CustomerToken/${op}`, { schema: routeSchema(op) }, handler(ctx, op));
    }
  });
}
