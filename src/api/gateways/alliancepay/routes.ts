/**
 * AlliancePay host-to-host tokens, wire-compatible (docs/alliancepay.md): the route table. A virtual-device
 * session whose bodies are JWEs to a per-session server key, answers as JWEs to the merchant's key, card
 * fields as nested JWEs to the payment key the vault holds (message-crypto.ts); token operations
 * (operations/tokens.ts) and payments by token or card with 3-D Secure (operations/payments.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { gatewayErrorHandler } from '../../guard.ts';
import { documentWire } from '../../openapi.ts';
import { keepRawBody, parseObject, rawText } from '../kit/body.ts';
import type { GatewayDeps } from '../kit/module.ts';
import { isRefusal } from '../kit/refusal.ts';
import { type AuditScope, type Auth, createAuth } from './auth.ts';
import { guardRenderer, problemRenderer, type Refusal, refusal, render } from './codes.ts';
import { open, seal } from './message-crypto.ts';
import type { Operation } from './operations/context.ts';
import { paymentOperations } from './operations/payments.ts';
import { authorizeDevice } from './operations/session.ts';
import { tokenOperations } from './operations/tokens.ts';
import { authorizeRouteSchema, PATHS, type SessionPath, sessionRouteSchema } from './schemas.ts';

function operationsByPath(deps: GatewayDeps): Record<SessionPath, Operation> {
  const tokens = tokenOperations(deps);
  const pay = paymentOperations(deps);
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
  };
}

/** Answers a refusal in AlliancePay's envelope; one that failed authentication is audited and counted first. */
async function refuse(auth: Auth, request: FastifyRequest, reply: FastifyReply, e: unknown, scope: AuditScope) {
  if (!isRefusal(e)) throw e;
  await auth.audit(request, e as Refusal, scope);
  return render(reply, e as Refusal);
}

/** A session call: authenticated, its body decrypted with the session key and read as a JSON object. */
function sessionHandler(auth: Auth, operation: Operation) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const scope: AuditScope = { scheme: 'session', merchantId: null };
    try {
      const call = await auth.session(request, reply);
      if (!call) return reply;
      scope.merchantId = call.caller.merchantId;
      const body = parseObject(await open(rawText(request.body), call.session.serverKey));
      if (!body.ok) throw refusal('b_error_parse_json');
      const merchantId = body.value.merchantId;
      if (merchantId !== undefined && merchantId !== call.cred.value.allianceMerchantId) throw refusal('b_user_merchant_request_mismatch');
      const answer = await operation({ caller: call.caller, cred: call.cred, body: body.value });
      return reply.send({ jwe: await seal(answer, call.cred.value.merchantPublic) });
    } catch (e) {
      return refuse(auth, request, reply, e, scope);
    }
  };
}

export async function registerAlliancePay(app: FastifyInstance, deps: GatewayDeps): Promise<void> {
  const auth = createAuth(deps);
  const authorize = authorizeDevice(deps, auth);
  deps.guard.renderer('alliancepay', guardRenderer);

  app.register(async (scope) => {
    // The route schemas document the wire (schemas.ts); the handlers read and refuse fields themselves.
    documentWire(scope);
    // Bodies arrive as text (JWE) or JSON; both are read raw.
    keepRawBody(scope, 'string');
    scope.setErrorHandler(gatewayErrorHandler('alliancepay', deps.guard, problemRenderer));

    scope.post('/api-gateway/authorize_virtual_device', { schema: authorizeRouteSchema }, async (request, reply) => {
      try {
        return reply.send(await authorize(request));
      } catch (e) {
        return refuse(auth, request, reply, e, { scheme: 'virtual-device', merchantId: null });
      }
    });
    for (const [path, operation] of Object.entries(operationsByPath(deps)) as [SessionPath, Operation][]) {
      scope.post(path, { schema: sessionRouteSchema(path) }, sessionHandler(auth, operation));
    }
  });
}
