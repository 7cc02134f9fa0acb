/**
 * OPay international card tokens, wire-compatible: the route table. Every answer is HTTP 200 with OPay's
 * envelope {code, message, data}; "00000" is success (codes.ts).
 */
import type { FastifyInstance } from 'fastify';
import { gatewayErrorHandler } from '../../guard.ts';
import { documentWire } from '../../openapi.ts';
import { keepRawBody } from '../kit/body.ts';
import { firstAnswers } from '../kit/first-answers.ts';
import type { GatewayDeps } from '../kit/module.ts';
import { gatewayPipeline } from '../kit/pipeline.ts';
import { claimedBy, opayAuthenticator, requestBody, SCHEME } from './auth.ts';
import { render, renderGuard, renderProblem } from './codes.ts';
import { tokenOperations } from './operations/tokens.ts';
import { inProgress, opayDedupe } from './replay.ts';
import { operationSchema } from './schemas.ts';

export async function registerOpay(
  app: FastifyInstance,
  deps: Pick<GatewayDeps, 'merchants' | 'cards' | 'customers' | 'customerCards' | 'guard' | 'replays'>,
): Promise<void> {
  const { guard } = deps;
  guard.renderer('opay', renderGuard);
  const answers = firstAnswers(deps.replays.firstAnswers);
  const route = gatewayPipeline({
    api: 'opay',
    guard,
    scheme: SCHEME,
    claimed: claimedBy,
    authenticate: opayAuthenticator(deps.merchants),
    render,
    // A replayed create or delete gets the first answer (replay.ts).
    dedupe: { answers, key: opayDedupe, inProgress },
  });
  const operations = tokenOperations(deps);

  app.register(async (scope) => {
    documentWire(scope);
    scope.setErrorHandler(gatewayErrorHandler('opay', guard, renderProblem));
    // The raw text is kept: the signature may be over the exact bytes sent.
    keepRawBody(scope, 'string', ['application/json']);
    answers.install(scope);
    for (const [op, operation] of Object.entries(operations)) {
      scope.post(
        `/api/v1/international/token/${op}`,
        { schema: operationSchema(op as keyof typeof operations) },
        route(requestBody, (body, { caller }) => operation(caller, body)),
      );
    }
  });
}
