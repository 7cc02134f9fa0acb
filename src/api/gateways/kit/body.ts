/**
 * Body handling shared by the gateways. A gateway reads its body itself, after authenticating over the
 * exact bytes sent (a signature or digest may cover them), so its scope keeps the body as received and
 * parses it here, with the same JSON nesting bound as every API (api/json.ts).
 */
import type { FastifyInstance } from 'fastify';
import { parseJsonBounded } from '../../json.ts';
import { type Body, isPlainObject } from './fields.ts';

/**
 * Keeps request bodies raw in this scope: as text (`'string'`) or bytes (`'buffer'`), for the content types
 * given (`'*'`: any; the gateway then checks the type itself) in place of the app's JSON parser.
 */
export function keepRawBody(scope: FastifyInstance, as: 'string' | 'buffer', contentTypes: '*' | readonly string[] = '*'): void {
  if (contentTypes === '*') scope.removeAllContentTypeParsers();
  else for (const type of contentTypes) if (scope.hasContentTypeParser(type)) scope.removeContentTypeParser(type);
  const keep = (_req: unknown, body: string | Buffer, done: (err: null, body: string | Buffer) => void) => done(null, body);
  if (contentTypes === '*') scope.addContentTypeParser('*', { parseAs: as }, keep);
  else for (const type of contentTypes) scope.addContentTypeParser(type, { parseAs: as }, keep);
}

/** The raw body as text ('' when there is none). */
export const rawText = (body: unknown): string => (typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '');

/** Parses a JSON body: the value, or why it is refused (not JSON, or JSON but not an object). */
export function parseObject(text: string): { ok: true; value: Body } | { ok: false; why: 'json' | 'object' } {
  let value: unknown;
  try {
    value = parseJsonBounded(text);
  } catch {
    return { ok: false, why: 'json' };
  }
  return isPlainObject(value) ? { ok: true, value } : { ok: false, why: 'object' };
}
