import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AuditService } from '../../vault/audit.ts';
import { problem } from '../problem.ts';
import { callerOf, HttpProblem } from './http.ts';
import { Nullable, ProblemSchema } from './schemas.ts';

const Iso = Type.String({ pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,3})?Z$', description: 'ISO-8601 UTC time' });

const AuditQuery = Type.Object(
  {
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'events about this token (or other target id)' })),
    action: Type.Optional(Type.String({ pattern: '^[a-z]+\\.[a-z]+$', maxLength: 40, description: 'e.g. card.create, card.reveal' })),
    from: Type.Optional(Iso),
    to: Type.Optional(Iso),
    limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$' })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,12}$', description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

const AuditEvent = Type.Object({
  seq: Type.Integer(),
  at: Type.String(),
  merchant: Nullable(Type.String()),
  actor: Type.String(),
  action: Type.String(),
  target: Nullable(Type.String()),
  outcome: Type.String(),
  detail: Nullable(Type.Object({}, { additionalProperties: true })),
  prevHash: Type.String(),
  hash: Type.String(),
});

export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditService }> = async (app, { audit }) => {
  app.get(
    '/v1/audit-events',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listAuditEvents',
        summary: "Your merchant's audit events, oldest first (a hash chain: each event's prevHash is the hash before it)",
        tags: ['audit'],
        querystring: AuditQuery,
        response: {
          200: Type.Object({
            object: Type.Literal('list'),
            data: Type.Array(AuditEvent),
            nextCursor: Nullable(Type.String()),
          }),
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
        },
      },
    },
    async (request) => {
      const q = request.query;
      if (q.from && q.to && q.from >= q.to) throw new HttpProblem(problem('validation_failed', '"from" must be before "to"'));
      const page = await audit.list(callerOf(request), {
        ...(q.token ? { target: q.token } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.from ? { from: q.from } : {}),
        ...(q.to ? { to: q.to } : {}),
        afterSeq: q.cursor ? Number(q.cursor) : 0,
        limit: q.limit ? Number(q.limit) : 20,
      });
      return { object: 'list' as const, data: page.items, nextCursor: page.nextSeq === null ? null : String(page.nextSeq) };
    },
  );
};
