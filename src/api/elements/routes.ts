/**
 * Card elements (issue 22): the script a merchant's page includes, the card iframe it mounts, the iframe's own
 * files, the endpoint the iframe sends the card to with the merchant's publishable key, and the development demo.
 *
 * The card number never passes through the merchant: it is typed into the iframe (the vault's origin, framed only
 * by the key's origins) and posted from there to POST /elements/v1/tokens, which accepts it only with an Origin of
 * the vault itself or of the key, and answers CORS to the key's origins only. Tokens are made by the vault's one
 * tokenize, under the same card rules as POST /v1/cards, audited with the key's id as actor and the page's origin.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CardService } from '../../vault/cards.ts';
import type { ElementsDemoService } from '../../vault/elements-demo.ts';
import type { MerchantService, Principal } from '../../vault/merchants.ts';
import type { Guard } from '../guard.ts';
import type { KeyedRate } from '../limits.ts';
import { bodyExpiry } from '../native/card-routes.ts';
import { presentCard } from '../native/presenters.ts';
import { ProblemSchema } from '../native/schemas.ts';
import { problem, sendFailure, sendProblem } from '../problem.ts';
import { bindMerchant } from '../request-id.ts';
import { assetType, type ElementAssets } from './assets.ts';
import { CARD_DOCUMENT, cardPolicy, DEMO_POLICY, demoPage } from './pages.ts';
import { AssetParams, CardDocumentQuery, ElementToken, ElementTokenCreate, TokensQuery, textAnswer } from './schemas.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A card elements route: 'publishable' takes a publishable key (?key=), 'public' takes no credential. */
    elements?: 'publishable' | 'public';
  }
  interface FastifyRequest {
    /** On POST /elements/v1/tokens, once its key and Origin are checked: who sends the card, from which page. */
    elementsCaller: { principal: Principal; origin: string } | null;
  }
}

export interface ElementsDeps {
  merchants: Pick<MerchantService, 'authenticate'>;
  cards: Pick<CardService, 'tokenize'>;
  guard: Guard;
  /** Tokens per publishable key and client address (TOKENVAULT_ELEMENTS_RATE_LIMIT_PER_MINUTE). */
  rate: KeyedRate;
  assets: ElementAssets;
  /** The demo's key, or null when the demo is off (outside development). */
  demo: Pick<ElementsDemoService, 'current'> | null;
}

const tags = ['elements'];
const ASSET_CACHE = 'public, max-age=300';
const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema };

/** The vault's own origin as the browser that sent this request sees it. */
const selfOrigin = (request: FastifyRequest): string => `${request.protocol}://${request.host}`;

/** The publishable key a request names, or null once refused (401, or 429 while its sender is locked out). */
async function publishableKey(deps: ElementsDeps, request: FastifyRequest, reply: FastifyReply, key: unknown): Promise<Principal | null> {
  const claimed = typeof key === 'string' && key.length <= 210 ? key : null;
  if (await deps.guard.locked('native', request, reply, claimed)) return null;
  const principal = claimed ? await deps.merchants.authenticate(claimed) : null;
  if (principal?.type === 'publishable') {
    bindMerchant(request, principal.merchantId);
    return principal;
  }
  const reason = claimed === null ? 'missing' : principal ? 'not_publishable' : 'unknown_or_revoked_key';
  await deps.guard.authFailed(request, { api: 'native', scheme: 'publishable-key', reason, claimed });
  sendProblem(reply, problem('unauthorized', 'send a publishable key (tv_pk_…) as ?key='));
  return null;
}

/**
 * POST and OPTIONS /elements/v1/tokens, before the body is read: the key, then the Origin (the vault's own, from
 * the card iframe, which names its page's origin in ?origin=; or one of the key's), then the rate limits.
 */
function tokensGate(deps: ElementsDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('vary', 'Origin');
    const query = request.query as Record<string, unknown>;
    const principal = await publishableKey(deps, request, reply, query.key);
    if (!principal) return reply;
    const origin = request.headers.origin;
    const page = origin === selfOrigin(request) ? query.origin : origin;
    if (typeof page !== 'string' || !principal.origins.includes(page)) {
      return sendProblem(reply, problem('origin_not_allowed', 'this publishable key is not used from this origin'));
    }
    if (origin === page) reply.header('access-control-allow-origin', origin);
    if (request.method === 'POST') {
      const wait = Math.max(await deps.rate.take(`${principal.keyId}\0${request.ip}`), await deps.guard.overLimit(principal.merchantId));
      if (wait > 0) return deps.guard.refuse('native', reply, 429, wait);
    }
    request.elementsCaller = { principal, origin: page };
  };
}

type App = Parameters<FastifyPluginAsyncTypebox<ElementsDeps>>[0];

/** The endpoint the card iframe sends the card to, and its CORS preflight. */
function tokenRoutes(app: App, deps: ElementsDeps): void {
  const gate = tokensGate(deps);
  app.post(
    '/elements/v1/tokens',
    {
      config: { elements: 'publishable' },
      onRequest: gate,
      schema: {
        operationId: 'createElementToken',
        summary: 'Tokenize a card from a card element (publishable key)',
        description:
          'What the card iframe calls: the card rules of POST /v1/cards apply, the security code is held as its cvv is, and the token is an ordinary native card token. Accepted only with an Origin of the vault itself (the iframe, naming its page in ?origin=) or of the key; answered with CORS to the key’s origins only; limited per key and client address (TOKENVAULT_ELEMENTS_RATE_LIMIT_PER_MINUTE). Audited as card.create with the key’s id and the page’s origin.',
        tags,
        querystring: TokensQuery,
        body: ElementTokenCreate,
        response: { 201: ElementToken, ...errors, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { principal, origin } = request.elementsCaller as { principal: Principal; origin: string };
      const b = request.body;
      const expiry = bodyExpiry(b);
      if (!expiry.ok) return sendProblem(reply, expiry.problem);
      const r = await deps.cards.tokenize(
        { merchantId: principal.merchantId, actor: principal.keyId },
        { pan: b.number, expiry: expiry.value, holderName: b.holderName ?? null, customerId: b.customer ?? null, cvv: b.cvc, origin },
      );
      if (!r.ok) return sendFailure(reply, r);
      const card = presentCard(r.value.card);
      const { token, brand, last4, expMonth, expYear } = card;
      return reply.code(201).header('cache-control', 'no-store').send({ token, brand, last4, expMonth, expYear });
    },
  );

  app.options(
    '/elements/v1/tokens',
    {
      config: { elements: 'publishable' },
      onRequest: gate,
      schema: {
        operationId: 'preflightElementToken',
        summary: 'CORS preflight of the card element endpoint: allowed for the key’s origins only',
        tags,
        querystring: TokensQuery,
        response: { 204: { description: 'Allowed: Access-Control-Allow-Origin names the origin', type: 'null' }, ...errors },
      },
    },
    async (_request, reply) =>
      reply
        .code(204)
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'content-type')
        .header('access-control-max-age', '600')
        .send(null),
  );
}

/** The script, the iframe document and the iframe's files. */
function documentRoutes(app: App, deps: ElementsDeps): void {
  app.get(
    '/elements/v1/tokenvault.js',
    {
      config: { elements: 'public' },
      schema: {
        operationId: 'getElementsScript',
        summary: 'The card elements script for a merchant’s page (defines TokenVault)',
        tags,
        response: { 200: textAnswer('text/javascript', 'The script'), 404: ProblemSchema },
      },
    },
    async (_request, reply) =>
      reply
        .type(assetType('tokenvault.js'))
        .header('cache-control', ASSET_CACHE)
        .header('cross-origin-resource-policy', 'cross-origin')
        .send(deps.assets['tokenvault.js']),
  );

  app.get(
    '/elements/v1/assets/:file',
    {
      config: { elements: 'public' },
      schema: {
        operationId: 'getElementsAsset',
        summary: 'A file of the card iframe or of the demo page (card.js, card.css, demo.js, demo.css)',
        tags,
        params: AssetParams,
        response: { 200: textAnswer('text/javascript', 'The file (text/javascript or text/css)'), 400: ProblemSchema },
      },
    },
    async (request, reply) =>
      reply.type(assetType(request.params.file)).header('cache-control', ASSET_CACHE).send(deps.assets[request.params.file]),
  );

  app.get(
    '/elements/v1/card',
    {
      config: { elements: 'publishable' },
      // Until the key and origin are known good, nothing of this answer may be framed anywhere.
      onRequest: async (_request, reply) => {
        reply.header('content-security-policy', cardPolicy([]));
      },
      schema: {
        operationId: 'getCardElement',
        summary: 'The card iframe: card number, expiry, security code and name fields, framed only by the key’s origins',
        description:
          'Mounted by tokenvault.js. Sent with Content-Security-Policy frame-ancestors naming the key’s origins and no inline script; refused unless `origin` is one of them.',
        tags,
        querystring: CardDocumentQuery,
        response: { 200: textAnswer('text/html', 'The iframe document'), ...errors },
      },
    },
    async (request, reply) => {
      const principal = await publishableKey(deps, request, reply, request.query.key);
      if (!principal) return reply;
      if (!principal.origins.includes(request.query.origin)) {
        return sendProblem(reply, problem('origin_not_allowed', 'this publishable key is not used from this origin'));
      }
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', cardPolicy(principal.origins))
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('x-content-type-options', 'nosniff')
        .send(CARD_DOCUMENT);
    },
  );
}

/** The development demo: a checkout page using all of the above with the demo merchant's publishable key. */
function demoRoute(app: App, deps: ElementsDeps): void {
  app.get(
    '/elements/demo',
    {
      config: { elements: 'public' },
      schema: {
        operationId: 'getElementsDemo',
        summary: 'A demo checkout page using card elements (development only; 404 otherwise)',
        tags,
        response: { 200: textAnswer('text/html', 'The demo page'), 404: ProblemSchema },
      },
    },
    async (_request, reply) => {
      const demo = deps.demo ? await deps.demo.current() : null;
      if (!demo) return sendProblem(reply, problem('not_found', 'the card elements demo runs in development only'));
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', DEMO_POLICY)
        .header('cache-control', 'no-store')
        .send(demoPage(demo.key));
    },
  );
}

export const elementsRoutes: FastifyPluginAsyncTypebox<ElementsDeps> = async (app, deps) => {
  app.decorateRequest('elementsCaller', null);
  tokenRoutes(app, deps);
  documentRoutes(app, deps);
  demoRoute(app, deps);
};
