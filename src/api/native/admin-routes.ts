/**
 * Operator API, behind the admin token: provisioning (DESIGN §7), merchant listing, API key issue and revocation,
 * and each gateway's key changes (its credentials' `keys` hook).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MerchantService } from '../../vault/merchants.ts';
import { GATEWAYS, type GatewayModule } from '../gateways/index.ts';
import { CredentialInputError } from '../gateways/kit/keys.ts';
import { problem, sendFailure, sendProblem } from '../problem.ts';
import { list } from './presenters.ts';
import {
  ApiKey,
  KeyCreate,
  MerchantCreate,
  MerchantList,
  MerchantListQuery,
  MerchantSummary,
  ProblemSchema,
  PublishableKey,
} from './schemas.ts';

const errors = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema };
const tags = ['admin'];
const MerchantParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

type Deps = { merchants: MerchantService; gateways?: readonly Pick<GatewayModule, 'id' | 'credentials'>[] };
type App = Parameters<FastifyPluginAsyncTypebox<Deps>>[0];

export const adminRoutes: FastifyPluginAsyncTypebox<Deps> = async (app, { merchants, gateways = GATEWAYS }) => {
  merchantRoutes(app, merchants);
  apiKeyRoutes(app, merchants);
  for (const g of gateways) gatewayKeyRoutes(app, merchants, g);
};

/** Merchants: create, list, read, delete. */
function merchantRoutes(app: App, merchants: MerchantService): void {
  app.post(
    '/v1/admin/merchants',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'createMerchant',
        summary: 'Create a merchant and all its credentials (secrets are shown only in this response)',
        tags,
        body: MerchantCreate,
        // The credentials object is the provisioning contract; it is returned as built, not filtered.
        response: { 201: Type.Object({}, { additionalProperties: true }), ...errors },
      },
    },
    async (request, reply) => {
      try {
        // Besides the name, the body holds only keys the gateways let a merchant bring (others are refused).
        const { name, ...keys } = request.body as { name: string } & Record<string, unknown>;
        const created = await merchants.create({ name, keys });
        return reply.code(201).header('cache-control', 'no-store').send(created);
      } catch (e) {
        if (e instanceof CredentialInputError) return sendProblem(reply, problem('invalid_key', e.message));
        throw e;
      }
    },
  );

  app.get(
    '/v1/admin/merchants',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'listMerchants',
        summary: 'List merchants',
        tags,
        querystring: MerchantListQuery,
        response: { 200: MerchantList, ...errors },
      },
    },
    async (request) => {
      const limit = request.query.limit ? Number(request.query.limit) : 20;
      const rows = await merchants.list({ after: request.query.after ?? null, limit: limit + 1 });
      const page = rows.slice(0, limit);
      return list(page, rows.length > limit ? (page[page.length - 1]?.id ?? null) : null);
    },
  );

  app.get(
    '/v1/admin/merchants/:id',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'getMerchant',
        summary: 'A merchant with its API keys (prefixes only) and public gateway identifiers',
        tags,
        params: MerchantParam,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errors },
      },
    },
    async (request, reply) => {
      const r = await merchants.get(request.params.id);
      if (!r.ok) return sendFailure(reply, r);
      return r.value;
    },
  );
}

/** A merchant's API keys, and deleting a merchant. */
function apiKeyRoutes(app: App, merchants: MerchantService): void {
  app.post(
    '/v1/admin/merchants/:id/api-keys',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'createApiKey',
        summary: 'Issue an API key with chosen scopes, or a publishable key for card elements',
        description:
          'With `scopes`: a secret key (tv_sk_…) for the merchant’s servers, shown only in this answer. With `type: "publishable"` and `origins`: a publishable key (tv_pk_…) for the card elements script on those web origins; it can do nothing but create card tokens through POST /elements/v1/tokens from them.',
        tags,
        params: MerchantParam,
        body: KeyCreate,
        response: { 201: Type.Union([ApiKey, PublishableKey]), ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      if ('origins' in b) {
        const r = await merchants.createPublishableKey(request.params.id, b.origins, b.label ?? null);
        if (!r.ok) return sendFailure(reply, r);
        const { id, key, origins, prefix, label, createdAt } = r.value;
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send({ id, type: 'publishable', key, origins, prefix, label, createdAt });
      }
      const r = await merchants.createApiKey(request.params.id, b.scopes, b.label ?? null);
      if (!r.ok) return sendFailure(reply, r);
      return reply.code(201).header('cache-control', 'no-store').send(r.value);
    },
  );

  app.delete(
    '/v1/admin/merchants/:id/api-keys/:keyId',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key (effective immediately)',
        tags,
        params: Type.Object({ id: Type.String({ maxLength: 64 }), keyId: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
        response: { 200: ApiKey, ...errors },
      },
    },
    async (request, reply) => {
      const r = await merchants.revokeApiKey(request.params.id, request.params.keyId);
      if (!r.ok) return sendFailure(reply, r);
      return r.value;
    },
  );

  app.delete(
    '/v1/admin/merchants/:id',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'deleteMerchant',
        summary: 'Delete a merchant by destroying its data keys (crypto-shredding)',
        description:
          'Every card number and secret of the merchant becomes unreadable, also in backups. Its keys and credentials stop working. Audited.',
        tags,
        params: MerchantParam,
        response: { 200: MerchantSummary, ...errors },
      },
    },
    async (request, reply) => {
      const r = await merchants.delete(request.params.id);
      if (!r.ok) return sendFailure(reply, r);
      return r.value;
    },
  );
}

/** A gateway's key changes (and reads of its credential's public half), under its own path. */
function gatewayKeyRoutes(app: App, merchants: MerchantService, g: Pick<GatewayModule, 'id' | 'credentials'>): void {
  const keys = g.credentials.keys;
  if (!keys) return;
  const base = `/v1/admin/merchants/:id/gateways/${g.id}`;
  const { operationId, summary, description, body, response } = keys.admin;
  app.put(
    `${base}/keys`,
    {
      config: { scope: 'admin' },
      schema: {
        operationId,
        summary,
        description,
        tags,
        params: MerchantParam,
        body: Type.Unsafe<Record<string, unknown>>(body),
        response: { 200: Type.Unsafe<Record<string, unknown>>(response), ...errors },
      },
    },
    async (request, reply) => {
      const r = await merchants.updateGatewayKeys(request.params.id, g.id, request.body);
      if (!r.ok) return sendFailure(reply, r);
      return r.value;
    },
  );
  for (const read of keys.reads ?? []) {
    app.get(
      `${base}/${read.path}`,
      {
        config: { scope: 'admin' },
        schema: {
          operationId: read.operationId,
          summary: read.summary,
          tags,
          params: MerchantParam,
          response: {
            200: { description: read.response.description, content: { [read.response.contentType]: { schema: read.response.schema } } },
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const cred = await merchants.gatewayCredential(g.id, { merchantId: request.params.id });
        if (!cred) return sendProblem(reply, problem('merchant_not_found'));
        return reply.type(read.response.contentType).send(read.read(cred.publicData));
      },
    );
  }
}
