import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { PaymentService, PaymentView } from '../../vault/payments.ts';
import { sendFailure } from '../problem.ts';
import { callerOf, pageParams } from './http.ts';
import { ListQuery, Metadata, Nullable, ProblemSchema } from './schemas.ts';

const errors = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  422: ProblemSchema,
  503: ProblemSchema,
};
const tags = ['payments'];

const Amount = Type.Integer({
  minimum: 1,
  maximum: 1_000_000_000_000,
  description: 'In the minor unit of the currency (ISO 4217): 1050 = 10.50 USD, 1050 = ¥1050',
});
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' });
const IdOrToken = {
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The card token to pay with' })),
  customer: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Or a customer: its default card is used' })),
};

const PaymentCreate = Type.Object(
  {
    ...IdOrToken,
    amount: Amount,
    currency: Currency,
    capture: Type.Optional(Type.Boolean({ description: 'true (default): authorize and capture; false: authorize only' })),
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Your order reference' })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [{ token: 'tok_GlZHL0_sZOr9Vy5Sbob_nKoi', amount: 1250, currency: 'USD', capture: false, reference: 'order-10017' }],
  },
);
const CreditCreate = Type.Object(
  { ...IdOrToken, amount: Amount, currency: Currency, reference: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
  {
    additionalProperties: false,
    examples: [{ customer: 'cus_01M96PQYWX2P81C7QWBFHH3WCX', amount: 500, currency: 'USD', reference: 'goodwill-77' }],
  },
);
const AmountBody = Type.Object({ amount: Type.Optional(Amount) }, { additionalProperties: false, examples: [{ amount: 1000 }] });
const ChallengeBody = Type.Object(
  {
    result: Type.Union([Type.Literal('success'), Type.Literal('failure')], { description: "The cardholder's 3-D Secure challenge result" }),
  },
  { additionalProperties: false },
);
const PaymentParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

const HistoryEntry = Type.Object({
  type: Type.String(),
  amount: Nullable(Type.Integer()),
  outcome: Type.String(),
  statusAfter: Type.String(),
  detail: Nullable(Type.Object({}, { additionalProperties: true })),
  at: Type.String(),
});
const Payment = Type.Object(
  {
    id: Type.String(),
    object: Type.Union([Type.Literal('payment'), Type.Literal('credit')]),
    token: Type.String(),
    customer: Nullable(Type.String()),
    amount: Type.Integer(),
    currency: Type.String(),
    status: Type.String({
      description: 'PENDING_AUTHENTICATION, AUTHORIZED, CAPTURED, PARTIALLY_REFUNDED, REFUNDED, VOIDED, DECLINED, FAILED, CREDITED',
    }),
    authorizedAmount: Type.Integer(),
    capturedAmount: Type.Integer(),
    refundedAmount: Type.Integer(),
    declineCode: Nullable(Type.String()),
    authCode: Nullable(Type.String()),
    processor: Type.String(),
    reference: Nullable(Type.String()),
    metadata: Nullable(Metadata),
    nextAction: Nullable(Type.Object({ type: Type.Literal('3ds_challenge'), completeWith: Type.String() })),
    history: Type.Optional(Type.Array(HistoryEntry)),
    version: Type.Integer(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  {
    examples: [
      {
        id: 'pay_01M96PQZAMCW8V1XWCFEJZTTX7',
        object: 'payment',
        token: 'tok_GlZHL0_sZOr9Vy5Sbob_nKoi',
        customer: 'cus_01M96PQYWX2P81C7QWBFHH3WCX',
        amount: 1250,
        currency: 'USD',
        status: 'AUTHORIZED',
        authorizedAmount: 1250,
        capturedAmount: 0,
        refundedAmount: 0,
        declineCode: null,
        authCode: '216990',
        processor: 'simulator',
        reference: 'order-10017',
        metadata: null,
        nextAction: null,
        version: 1,
        createdAt: '2026-12-06T22:14:12.629Z',
        updatedAt: '2026-12-06T22:14:12.629Z',
      },
    ],
  },
);
const PaymentList = Type.Object({ object: Type.Literal('list'), data: Type.Array(Payment), nextCursor: Nullable(Type.String()) });
const PaymentListQuery = Type.Object(
  {
    ...ListQuery.properties,
    token: Type.Optional(Type.String({ maxLength: 64 })),
    customer: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

const present = (p: PaymentView) => ({
  id: p.id,
  object: p.kind,
  token: p.token,
  customer: p.customerId,
  amount: p.amount,
  currency: p.currency,
  status: p.status,
  authorizedAmount: p.authorizedAmount,
  capturedAmount: p.capturedAmount,
  refundedAmount: p.refundedAmount,
  declineCode: p.declineCode,
  authCode: p.authCode,
  processor: p.processor,
  reference: p.reference,
  metadata: p.metadata,
  nextAction:
    p.status === 'PENDING_AUTHENTICATION' ? { type: '3ds_challenge' as const, completeWith: `/v1/payments/${p.id}/authenticate` } : null,
  ...(p.history ? { history: p.history } : {}),
  version: p.version,
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
});

type App = Parameters<FastifyPluginAsyncTypebox>[0];
type Deps = { payments: PaymentService };

/** Payments and credits, and the calls that move an existing payment. */
function paymentCalls(app: App, { payments }: Deps): void {
  app.post(
    '/v1/payments',
    {
      config: { scope: 'pay' },
      schema: {
        operationId: 'createPayment',
        summary: 'Pay with a token (or a customer’s default card)',
        description:
          'A decline is a payment too: 201 with status DECLINED and a declineCode. A card not payable (suspended, deleted, consumed, expired) is refused before the processor.',
        tags,
        body: PaymentCreate,
        response: { 201: Payment, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const r = await payments.authorize(callerOf(request), {
        ...(b.token ? { token: b.token } : {}),
        ...(b.customer ? { customerId: b.customer } : {}),
        amount: b.amount,
        currency: b.currency,
        capture: b.capture ?? true,
        reference: b.reference ?? null,
        metadata: b.metadata ?? null,
      });
      if (!r.ok) return sendFailure(reply, r);
      return reply.code(201).send(present(r.value));
    },
  );

  app.post(
    '/v1/credits',
    {
      config: { scope: 'pay' },
      schema: {
        operationId: 'createCredit',
        summary: 'Pay out to a card (original credit)',
        tags,
        body: CreditCreate,
        response: { 201: Payment, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const r = await payments.credit(callerOf(request), {
        ...(b.token ? { token: b.token } : {}),
        ...(b.customer ? { customerId: b.customer } : {}),
        amount: b.amount,
        currency: b.currency,
        reference: b.reference ?? null,
      });
      if (!r.ok) return sendFailure(reply, r);
      return reply.code(201).send(present(r.value));
    },
  );

  for (const op of ['capture', 'refund'] as const) {
    app.post(
      `/v1/payments/:id/${op}`,
      {
        config: { scope: 'pay' },
        schema: {
          operationId: op === 'capture' ? 'capturePayment' : 'refundPayment',
          summary: op === 'capture' ? 'Capture all or part of what is authorized' : 'Refund all or part of what is captured',
          tags,
          params: PaymentParam,
          body: AmountBody,
          response: { 200: Payment, ...errors },
        },
      },
      async (request, reply) => {
        const r = await payments[op](callerOf(request), request.params.id, request.body.amount);
        if (!r.ok) return sendFailure(reply, r);
        return present(r.value);
      },
    );
  }

  app.post(
    '/v1/payments/:id/void',
    {
      config: { scope: 'pay' },
      schema: {
        operationId: 'voidPayment',
        summary: 'Release an authorization that was not captured',
        tags,
        params: PaymentParam,
        response: { 200: Payment, ...errors },
      },
    },
    async (request, reply) => {
      const r = await payments.void(callerOf(request), request.params.id);
      if (!r.ok) return sendFailure(reply, r);
      return present(r.value);
    },
  );

  app.post(
    '/v1/payments/:id/authenticate',
    {
      config: { scope: 'pay' },
      schema: {
        operationId: 'completeChallenge',
        summary: 'Complete a 3-D Secure challenge (status PENDING_AUTHENTICATION)',
        tags,
        params: PaymentParam,
        body: ChallengeBody,
        response: { 200: Payment, ...errors },
      },
    },
    async (request, reply) => {
      const r = await payments.authenticate(callerOf(request), request.params.id, request.body.result === 'success');
      if (!r.ok) return sendFailure(reply, r);
      return present(r.value);
    },
  );
}

/** Reading payments. */
function paymentReads(app: App, { payments }: Deps): void {
  app.get(
    '/v1/payments/:id',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getPayment',
        summary: 'A payment with its status history',
        tags,
        params: PaymentParam,
        response: { 200: Payment, ...errors },
      },
    },
    async (request, reply) => {
      const r = await payments.get(callerOf(request), request.params.id);
      if (!r.ok) return sendFailure(reply, r);
      return present(r.value);
    },
  );

  app.get(
    '/v1/payments',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listPayments',
        summary: 'List payments, by card or customer',
        tags,
        querystring: PaymentListQuery,
        response: { 200: PaymentList, ...errors },
      },
    },
    async (request) => {
      const page = await payments.list(callerOf(request), {
        ...pageParams(request.query),
        token: request.query.token ?? null,
        customerId: request.query.customer ?? null,
      });
      return { object: 'list' as const, data: page.items.map(present), nextCursor: page.nextCursor };
    },
  );
}

export const paymentRoutes: FastifyPluginAsyncTypebox<Deps> = async (app, deps) => {
  paymentCalls(app, deps);
  paymentReads(app, deps);
};
