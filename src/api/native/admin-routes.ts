/** Operator API, behind the admin token: provisioning (DESIGN §7), merchant listing, API key issue and revocation. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MerchantService } from '../../vault/merchants.ts';
import { CredentialInputError } from '../gateways/kit/keys.ts';
import { problem, sendFailure, sendProblem } from '../problem.ts';
import { list } from './presenters.ts';
import { ApiKey, ApiKeyCreate, MerchantCreate, MerchantList, MerchantListQuery, MerchantSummary, ProblemSchema } from './schemas.ts';

const errors = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema };
const tags = ['admin'];
const MerchantParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export const adminRoutes: FastifyPluginAsyncTypebox<{ merchants: MerchantService }> = async (app, { merchants }) => {
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

  app.post(
    '/v1/admin/merchants/:id/api-keys',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'createApiKey',
        summary: 'Issue an API key with chosen scopes',
        tags,
        params: MerchantParam,
        body: ApiKeyCreate,
        response: { 201: ApiKey, ...errors },
      },
    },
    async (request, reply) => {
      const r = await merchants.createApiKey(request.params.id, request.body.scopes, request.body.label ?? null);
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

  const KeyBits = Type.Union([Type.Literal(2048), Type.Literal(3072), Type.Literal(4096)]);
  app.put(
    '/v1/admin/merchants/:id/gateways/twoc2p/keys',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'updateTwoc2pKeys',
        summary: "Register the merchant's 2C2P public key and/or rotate the vault's 2C2P key pair",
        description: 'The previous vault key keeps decrypting requests already encrypted to it until the next rotation.',
        tags,
        params: MerchantParam,
        body: Type.Object(
          { merchantPublicKeyPem: Type.Optional(Type.String({ minLength: 1, maxLength: 10000 })), rotateVaultKey: Type.Optional(KeyBits) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Object({ vaultPublicKeyPem: Type.String(), merchantPublicKeyPem: Type.String() }), ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const r = await merchants.updateTwoc2pKeys(request.params.id, {
        ...(b.merchantPublicKeyPem !== undefined ? { merchantPublicKeyPem: b.merchantPublicKeyPem } : {}),
        ...(b.rotateVaultKey !== undefined ? { newVaultKeyBits: b.rotateVaultKey } : {}),
      });
      if (!r.ok) return sendFailure(reply, r);
      return r.value;
    },
  );

  app.put(
    '/v1/admin/merchants/:id/gateways/cybersource/keys',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'updateCybersourceKeys',
        summary: "Register a certificate for Cybersource RS256 JWTs, and/or set or remove the merchant's MLE key",
        description:
          "A certificate's kid is its subject serialNumber (what the official SDK sends), else its serial. The MLE key encrypts unmasked retrievals.",
        tags,
        params: MerchantParam,
        body: Type.Object(
          {
            certificatePem: Type.Optional(Type.String({ minLength: 1, maxLength: 20000 })),
            mlePublicKeyPem: Type.Optional(Type.String({ minLength: 1, maxLength: 20000 })),
            mleKeyId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            removeMleKey: Type.Optional(Type.Literal(true)),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: {
          200: Type.Object({
            merchantId: Type.String(),
            keyId: Type.String(),
            certificates: Type.Array(Type.Object({ kid: Type.String(), sha256: Type.String() })),
            mleKeyId: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const r = await merchants.updateCybersourceKeys(request.params.id, {
        ...(b.certificatePem !== undefined ? { certificatePem: b.certificatePem } : {}),
        ...(b.mlePublicKeyPem !== undefined ? { mlePublicKeyPem: b.mlePublicKeyPem } : {}),
        ...(b.mleKeyId !== undefined ? { mleKeyId: b.mleKeyId } : {}),
        ...(b.removeMleKey ? { removeMleKey: true } : {}),
      });
      if (!r.ok) return sendFailure(reply, r);
      return r.value;
    },
  );

  app.get(
    '/v1/admin/merchants/:id/gateways/twoc2p/vault-public-key',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'getTwoc2pVaultPublicKey',
        summary: "The vault's 2C2P public key (PEM) for the merchant to encrypt to",
        tags,
        params: MerchantParam,
        response: {
          200: {
            description: 'The PEM of the public key',
            content: { 'application/x-pem-file': { schema: { type: 'string', pattern: '^-----BEGIN PUBLIC KEY-----' } } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const cred = await merchants.gatewayCredential('twoc2p', { merchantId: request.params.id });
      if (!cred) return sendProblem(reply, problem('merchant_not_found'));
      return reply.type('application/x-pem-file').send(cred.publicData.vaultPublicKeyPem as string);
    },
  );
};
