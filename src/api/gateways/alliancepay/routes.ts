/**
 * AlliancePay host-to-host tokens, wire-compatible (docs/alliancepay.md): the route table. A virtual-device
 * session whose bodies are JWEs to a per-session server key, answers as JWEs to the merchant's key, card
 * fields as nested JWEs to the payment key the vault holds (message-crypto.ts); token operations
 * (operations/tokens.ts) and payments by token or card with 3-D Secure (operations/payments.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { gatewayErrorHandler } from '../../guard.ts';
import { documentWire } from '../../openapi.ts';
import { keepRawBody, parseObject } from '../kit/body.ts';
import { firstAnswers } from '../kit/first-answers.ts';
import type { GatewayDeps } from '../kit/module.ts';
import { gatewayPipeline } from '../kit/pipeline.ts';
import type { GatewayRefusal } from '../kit/refusal.ts';
import { type Auth, type Credential, claimedBySession, createAuth, requestId, requireContentType, type SessionCall } from './auth.ts';
import { callbackTopic } from './callbacks.ts';
import { guardRenderer, problemRenderer, type Refusal, refusal, render } from './codes.ts';
import { bodyJwe, open, seal } from './message-crypto.ts';
import { CALLBACK_TOPIC, type Ctx, type Operation } from './operations/context.ts';
import { paymentOperations } from './operations/payments.ts';
import { refundOperations } from './operations/refunds.ts';
import { authorizeDevice, claimedByServiceCode, type DeviceCall, deviceAuthenticator } from './operations/session.ts';
import { tokenOperations } from './operations/tokens.ts';
import { inProgress, sessionDedupe } from './replay.ts';
import { authorizeRouteSchema, PATHS, type SessionPath, sessionRouteSchema } from './schemas.ts';

function operationsByPath(deps: GatewayDeps): Record<SessionPath, Operation> {
  const tokens = tokenOperations(deps);
  const pay = paymentOperations(deps);
  const refunds = refundOperations(deps);
  return {
    [PATHS.create]: tokens.create,
    [PATHS.list]: tokens.list,
    [PATHS.get]: tokens.get,
    [PATHS.state]: tokens.stateUpdate,
    [PATHS.tokenPurchase]: pay.purchaseByToken,
    [PATHS.tokenPurchase3ds]: pay.threeDs,
    [PATHS.tokenC2a]: pay.c2aByToken,
    [PATHS.tokenC2a3ds]: pay.threeDs,
    [PATHS.purchase]: pay.purchaseByCard,
    [PATHS.purchase3ds]: pay.threeDs,
    [PATHS.refund]: refunds.refund,
    [PATHS.operation]: refunds.byOperationId,
    [PATHS.byReference]: refunds.byMerchantRequestId,
  };
}

/** A session call's input: its request id new in the session, then its body decrypted with the session key, a JSON object. */
function sessionInput(auth: Auth) {
  return async (call: SessionCall, request: FastifyRequest): Promise<Ctx> => {
    await auth.claimRequestId(call, request);
    const body = parseObject(await open(bodyJwe(request.body), call.session.serverKey, call.caller.merchantId));
    if (!body.ok) throw refusal('b_error_parse_json');
    const merchantId = body.value.merchantId;
    if (merchantId !== undefined && merchantId !== call.cred.value.allianceMerchantId) throw refusal('b_user_merchant_request_mismatch');
    return { caller: call.caller, cred: call.cred, body: body.value };
  };
}

/** The parts both pipelines share: refusals in AlliancePay's envelope, answers as a JWE to the merchant's key. */
const wire = {
  render: (reply: FastifyReply, e: GatewayRefusal) => render(reply, e as Refusal),
  send: async (reply: FastifyReply, answer: unknown, { cred }: { cred: Credential }) =>
    reply.send({ jwe: await seal(answer, cred.value.merchantPublic) }),
};

const requireJson = requireContentType('application/json');
const requireText = requireContentType('text/plain');

export async function registerAlliancePay(app: FastifyInstance, deps: GatewayDeps): Promise<void> {
  const { guard } = deps;
  const auth = createAuth(deps);
  guard.renderer('alliancepay', guardRenderer);
  // Opening a session is taken from the merchant's rate like every call in one (each writes a row and an audit event).
  const device = gatewayPipeline<DeviceCall>({
    ...wire,
    api: 'alliancepay',
    guard,
    scheme: 'virtual-device',
    before: (request) => {
      requireJson(request);
      requestId(request);
    },
    claimed: claimedByServiceCode,
    authenticate: deviceAuthenticator(auth),
  });
  const answers = firstAnswers(deps.replays.firstAnswers);
  const session = gatewayPipeline<SessionCall>({
    ...wire,
    api: 'alliancepay',
    guard,
    scheme: 'session',
    claimed: claimedBySession,
    before: requireText,
    authenticate: auth.session,
    // A captured body replayed with a fresh request id gets the first answer (replay.ts).
    dedupe: { answers, key: sessionDedupe(deps.now), inProgress },
  });
  const read = sessionInput(auth);
  // Callbacks of outcomes (notificationUrl) are written by the vault with them and built here when delivered.
  deps.outbox.register(CALLBACK_TOPIC, callbackTopic(deps, auth));

  app.register(async (scope) => {
    // The route schemas document the wire (schemas.ts); the handlers read and refuse fields themselves.
    documentWire(scope);
    // Bodies arrive as text (JWE) or JSON; both are read raw.
    keepRawBody(scope, 'string');
    answers.install(scope);
    scope.setErrorHandler(gatewayErrorHandler('alliancepay', guard, problemRenderer));

    scope.post(
      '/api-gateway/authorize_virtual_device',
      { schema: authorizeRouteSchema },
      device(() => undefined, authorizeDevice(deps)),
    );
    for (const [path, operation] of Object.entries(operationsByPath(deps)) as [SessionPath, Operation][]) {
      scope.post(path, { schema: sessionRouteSchema(path) }, session(read, operation));
    }
  });
}
