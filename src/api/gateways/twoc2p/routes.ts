/**
 * 2C2P Customer Token Maintenance (customertoken/3.0), wire-compatible: add, update, get (inquiry), delete.
 * Every route runs the kit's pipeline (kit/pipeline.ts). Business and validation failures are answered inside
 * the signed, encrypted envelope with a non-0000 responseCode (operations/tokens.ts); a message that does not
 * verify or decrypt gets one plain 400 that says nothing more (auth.ts).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CardService } from '../../../vault/cards.ts';
import type { MerchantService } from '../../../vault/merchants.ts';
import type { ReplayService } from '../../../vault/replay.ts';
import { type Guard, gatewayErrorHandler } from '../../guard.ts';
import { documentWire } from '../../openapi.ts';
import { keepRawBody, parseObject } from '../kit/body.ts';
import { firstAnswers } from '../kit/first-answers.ts';
import { gatewayPipeline } from '../kit/pipeline.ts';
import { GatewayRefusal } from '../kit/refusal.ts';
import { type Twoc2pAuthenticated, twoc2pAuthenticator } from './auth.ts';
import { plain, renderGuard, SCHEME, status, type Twoc2pOperation } from './codes.ts';
import { createTwoc2pCrypto } from './message-crypto.ts';
import { answer } from './operations/tokens.ts';
import { twoc2pDedupe } from './replay.ts';
import { routeSchema } from './schemas.ts';

/** A replay of a message still being answered: refused (the plain 400), nothing done. */
const inFlight = (): GatewayRefusal => new GatewayRefusal('in_progress', { detail: 'an identical message is still being answered' });

/** The decrypted payload, as the operations read it: a JSON object, or why it is not one. */
const payloadOf = ({ plaintext }: Twoc2pAuthenticated) => parseObject(plaintext);

export async function registerTwoc2p(
  app: FastifyInstance,
  deps: { merchants: MerchantService; cards: CardService; guard: Guard; replays: ReplayService },
): Promise<void> {
  const { cards, guard } = deps;
  const crypto = createTwoc2pCrypto(deps.merchants);
  // Refusals before a message is trusted are plain text: nothing can be signed to an unknown caller.
  guard.renderer('twoc2p', renderGuard);
  const answers = firstAnswers(deps.replays.firstAnswers);
  const spec = {
    api: 'twoc2p',
    guard,
    scheme: SCHEME,
    authenticate: twoc2pAuthenticator(crypto),
    // Only refusals of a message not yet trusted (or a replay in flight) reach here; those after are in the envelope.
    render: (reply: FastifyReply) => plain(reply, 400),
    send: async (reply: FastifyReply, body: unknown, opened: Twoc2pAuthenticated) =>
      reply.type('text/plain').send(await crypto.seal(opened, body)),
  };
  // Each operation's pipeline deduplicates its replays by the JWS (replay.ts); `get` is never deduplicated.
  const routeOf = (op: Twoc2pOperation) =>
    gatewayPipeline<Twoc2pAuthenticated>({ ...spec, dedupe: { answers, key: twoc2pDedupe(op), inProgress: inFlight } });
  app.register(async (scope) => {
    // The schemas document the wire; the pipeline verifies and decrypts, the operations check fields (schemas.ts).
    documentWire(scope);
    scope.setErrorHandler(gatewayErrorHandler('twoc2p', guard, (reply, p) => plain(reply, p.status >= 500 ? 500 : 400)));
    // 2C2P clients post the compact JWS as text/plain; some send JSON {"payload": "<jws>"} (the app's JSON parser).
    keepRawBody(scope, 'string', ['text/plain', 'application/jose', 'application/octet-stream']);
    answers.install(scope);
    for (const op of ['add', 'update', 'get', 'delete'] as const satisfies readonly Twoc2pOperation[]) {
      const operation = routeOf(op)(payloadOf, async (payload, opened) =>
        payload.ok
          ? answer(cards, op, opened, payload.value)
          : { merchantID: '', ...status('invalid', 'The payload is not a JSON object') },
      );
      scope.post(`/customertoken/3.0/CustomerToken/${op}`, { schema: routeSchema(op) }, operation);
    }
  });
}
