import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type Expiry, makeExpiry } from '../../domain/card.ts';
import type { CardService } from '../../vault/cards.ts';
import type { RevealService } from '../../vault/reveal.ts';
import { type Problem, problem, sendFailure, sendProblem } from '../problem.ts';
import { callerOf, etag, ifMatchOf, pageParams } from './http.ts';
import { list, presentCard } from './presenters.ts';
import {
  Card,
  CardCreate,
  CardList,
  CardListQuery,
  CardStatusChange,
  CardUpdate,
  ProblemSchema,
  RevealRequest,
  RevealResponse,
  TokenParam,
} from './schemas.ts';

const errors = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  412: ProblemSchema,
  422: ProblemSchema,
};
const tags = ['cards'];

type App = Parameters<FastifyPluginAsyncTypebox>[0];

/** The expiry of a tokenize body (POST /v1/cards, POST /elements/v1/tokens), or the problem that answers it. */
export function bodyExpiry(b: { expMonth: number; expYear: number }): { ok: true; value: Expiry } | { ok: false; problem: Problem } {
  const expiry = makeExpiry(b.expMonth, b.expYear);
  return expiry.ok ? expiry : { ok: false, problem: problem('invalid_expiry', 'expMonth/expYear are not a valid expiry') };
}
type Deps = { cards: CardService; reveal: RevealService };

/** Cards: tokenize, list, get, update. */
function cardCrud(app: App, { cards }: Deps): void {
  app.post(
    '/v1/cards',
    {
      config: { scope: 'tokenize' },
      schema: {
        operationId: 'createCard',
        summary: 'Tokenize a card',
        description: 'Stores the card number encrypted and returns a token. The same number maps to one instrument identifier.',
        tags,
        body: CardCreate,
        response: { 201: Card, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const expiry = bodyExpiry(b);
      if (!expiry.ok) return sendProblem(reply, expiry.problem);
      const r = await cards.tokenize(callerOf(request), {
        pan: b.number,
        expiry: expiry.value,
        holderName: b.holderName ?? null,
        billingAddress: b.billingAddress ?? null,
        customerId: b.customer ?? null,
        usage: b.usage ?? 'MULTIPLE',
        makeDefault: b.default ?? false,
        metadata: b.metadata ?? null,
        ...(b.cvv !== undefined ? { cvv: b.cvv } : {}),
      });
      if (!r.ok) return sendFailure(reply, r);
      return reply.code(201).header('etag', etag(r.value.card.version)).send(presentCard(r.value.card, r.value.instrumentCreated));
    },
  );

  app.get(
    '/v1/cards',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listCards',
        summary: 'List cards (optionally of one customer)',
        tags,
        querystring: CardListQuery,
        response: { 200: CardList, ...errors },
      },
    },
    async (request, reply) => {
      const page = pageParams(request.query);
      const r = await cards.list(callerOf(request), { ...page, customerId: request.query.customer ?? null });
      if (!r.ok) return sendFailure(reply, r);
      return list(
        r.value.items.map((c) => presentCard(c)),
        r.value.nextCursor,
      );
    },
  );

  app.get(
    '/v1/cards/:token',
    {
      config: { scope: 'read' },
      schema: { operationId: 'getCard', summary: 'Retrieve a card (masked)', tags, params: TokenParam, response: { 200: Card, ...errors } },
    },
    async (request, reply) => {
      const r = await cards.get(callerOf(request), request.params.token);
      if (!r.ok) return sendFailure(reply, r);
      return reply.header('etag', etag(r.value.version)).send(presentCard(r.value));
    },
  );

  app.patch(
    '/v1/cards/:token',
    {
      config: { scope: 'write', ifMatch: true },
      schema: {
        operationId: 'updateCard',
        summary: 'Update expiry, holder name, billing address, default flag or metadata',
        description: 'The card number cannot change. Send If-Match with the ETag you read to avoid lost updates.',
        tags,
        params: TokenParam,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
        body: CardUpdate,
        response: { 200: Card, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      if ((b.expMonth === undefined) !== (b.expYear === undefined)) {
        return sendProblem(
          reply,
          problem('validation_failed', 'send expMonth and expYear together', [
            {
              field: b.expMonth === undefined ? 'expMonth' : 'expYear',
              code: 'required',
              message: 'is required with the other expiry field',
            },
          ]),
        );
      }
      let expiry: Expiry | undefined;
      if (b.expMonth !== undefined && b.expYear !== undefined) {
        const e = makeExpiry(b.expMonth, b.expYear);
        if (!e.ok) return sendProblem(reply, problem('invalid_expiry'));
        expiry = e.value;
      }
      const r = await cards.update(
        callerOf(request),
        request.params.token,
        {
          ...(expiry ? { expiry } : {}),
          ...(b.holderName !== undefined ? { holderName: b.holderName } : {}),
          ...(b.billingAddress !== undefined ? { billingAddress: b.billingAddress } : {}),
          ...(b.metadata !== undefined ? { metadata: b.metadata } : {}),
          ...(b.default !== undefined ? { makeDefault: b.default } : {}),
        },
        ifMatchOf(request),
      );
      if (!r.ok) return sendFailure(reply, r);
      return reply.header('etag', etag(r.value.version)).send(presentCard(r.value));
    },
  );
}

/** Card actions: status changes, delete, reveal. */
function cardActions(app: App, { cards, reveal }: Deps): void {
  app.post(
    '/v1/cards/:token/status',
    {
      config: { scope: 'write', ifMatch: true },
      schema: {
        operationId: 'changeCardStatus',
        summary: 'Suspend, reactivate or delete a card',
        description: 'ACTIVE ⇄ SUSPENDED; ACTIVE or SUSPENDED → DELETED, which is final.',
        tags,
        params: TokenParam,
        body: CardStatusChange,
        response: { 200: Card, ...errors },
      },
    },
    async (request, reply) => {
      const r = await cards.setStatus(callerOf(request), request.params.token, request.body.status, ifMatchOf(request));
      if (!r.ok) return sendFailure(reply, r);
      return reply.header('etag', etag(r.value.version)).send(presentCard(r.value));
    },
  );

  app.delete(
    '/v1/cards/:token',
    {
      config: { scope: 'write', ifMatch: true },
      schema: {
        operationId: 'deleteCard',
        summary: 'Delete a card',
        description: 'The token stops working for good; when no other token uses the card number, its ciphertext is wiped.',
        tags,
        params: TokenParam,
        response: { 200: Card, ...errors },
      },
    },
    async (request, reply) => {
      const r = await cards.setStatus(callerOf(request), request.params.token, 'DELETED', ifMatchOf(request));
      if (!r.ok) return sendFailure(reply, r);
      return reply.header('etag', etag(r.value.version)).send(presentCard(r.value));
    },
  );

  app.post(
    '/v1/cards/:token/reveal',
    {
      config: { scope: 'reveal', neverStored: true },
      schema: {
        operationId: 'revealCard',
        summary: 'Reveal the card number, encrypted to your public key',
        description:
          'Needs the reveal scope and a purpose. The number and expiry come back only as a compact JWE (A256GCM) to the JWK you send; never as plain JSON. Every reveal is audited with its purpose. The answer is never stored: a repeated Idempotency-Key does not replay it, the reveal is evaluated and audited again.',
        tags,
        params: TokenParam,
        body: RevealRequest,
        response: { 200: RevealResponse, ...errors },
      },
    },
    async (request, reply) => {
      const r = await reveal.reveal(
        callerOf(request),
        request.params.token,
        request.body.purpose,
        request.body.jwk as Record<string, unknown>,
      );
      if (!r.ok) return sendFailure(reply, r);
      return reply.header('cache-control', 'no-store').send({ token: r.value.token, alg: r.value.alg, enc: 'A256GCM', jwe: r.value.jwe });
    },
  );
}

export const cardRoutes: FastifyPluginAsyncTypebox<Deps> = async (app, deps) => {
  cardCrud(app, deps);
  cardActions(app, deps);
};
