/**
 * Route schemas for the Cybersource routes, in the short form src/api/gateways/cybersource/openapi.ts
 * expands (its `operation` adds security, the authentication headers and every shared refusal).
 */
import type { RouteResponse } from './openapi.ts';
import type { Schema } from './schemas/index.ts';

export type RouteSchema = Record<string, unknown>;

const ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

export function doc(
  operationId: string,
  summary: string,
  tag: string,
  o: {
    description?: string;
    /** Path parameters, name → description. */
    params?: Record<string, string>;
    querystring?: Schema;
    body?: Schema;
    response: Record<number, RouteResponse>;
  },
): RouteSchema {
  return {
    operationId,
    summary,
    ...(o.description ? { description: o.description } : {}),
    tags: [tag],
    ...(o.params
      ? {
          params: {
            type: 'object',
            properties: Object.fromEntries(
              Object.entries(o.params).map(([name, description]) => [name, { type: 'string', pattern: ID_PATTERN, description }]),
            ),
            required: Object.keys(o.params),
          },
        }
      : {}),
    ...(o.querystring ? { querystring: o.querystring } : {}),
    ...(o.body ? { body: o.body } : {}),
    response: o.response,
  };
}

/** A success with a body; TMS records carry an ETag unless `etag` is false. */
export const ok = (description: string, schema: Schema, etag = true): RouteResponse => ({ description, schema, etag });

export const NOT_FOUND: RouteResponse = { description: 'No such token for this merchant (another merchant’s ids are not found either)' };
export const STALE: RouteResponse = { description: '`if-match` does not match the current version; nothing was changed' };
export const GONE: RouteResponse = { description: 'The instrument identifier was deleted: its card number is gone' };
