/**
 * Holds an API to its served OpenAPI document (src/api/openapi.ts). Gateways read and refuse fields by
 * hand, in their own error shapes; their route schemas are documentation. These helpers make the document
 * and the handler agree from both sides:
 * - `requestSchema` finds an operation's documented request body (or, for signed/encrypted bodies, the
 *   payload inside, under `x-payload-schema`);
 * - `mutants` derives, from the schema and a valid example, every request the schema forbids that one
 *   change away (a required field removed, a wrong type, a string one past maxLength, a value outside an
 *   enum, an unknown field where none are allowed), each confirmed invalid by Ajv;
 * - `responseProblems` checks an answer against the documented response for its status.
 * A gateway's test sends the example (accepted), every mutant (refused), and checks each answer.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';

type Json = Record<string, unknown>;
export type OpenApiDocument = { paths: Record<string, Record<string, Json>>; components?: Json };

const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });

export async function servedDocument(app: FastifyInstance, id: string): Promise<OpenApiDocument> {
  const r = await app.inject({ method: 'GET', url: `/openapi/${id}.json` });
  if (r.statusCode !== 200) throw new Error(`GET /openapi/${id}.json answered ${r.statusCode}`);
  return r.json();
}

/** The operation at a Fastify-style path (`/tms/v2/customers/:id`) or an OpenAPI one (`{id}`). */
export function operationOf(doc: OpenApiDocument, method: string, path: string): Json {
  const oaPath = path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  const op = doc.paths[oaPath]?.[method.toLowerCase()];
  if (!op) throw new Error(`the document has no ${method} ${oaPath}`);
  return op;
}

/** Resolves `#/components/...` references against the document, recursively (schemas here are trees). */
export function resolve(doc: OpenApiDocument, node: unknown): unknown {
  if (Array.isArray(node)) return node.map((n) => resolve(doc, n));
  if (node === null || typeof node !== 'object') return node;
  const ref = (node as Json).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    let target: unknown = doc;
    for (const part of ref.slice(2).split('/')) target = (target as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return resolve(doc, target);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(doc, v)]));
}

/** The schema of the body an operation takes (the payload schema for a JWS/JWE body), and its media type. */
export function requestSchema(doc: OpenApiDocument, method: string, path: string): { mediaType: string; schema: Json } {
  const op = operationOf(doc, method, path);
  const content = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
  if (!content) throw new Error(`${method} ${path} documents no request body`);
  const [mediaType, media] = Object.entries(content)[0] as [string, Json];
  const schema = resolve(doc, media.schema) as Json;
  return { mediaType, schema: (schema['x-payload-schema'] as Json | undefined) ?? schema };
}

/** Whether a value satisfies a schema, and why not. */
export function schemaErrors(schema: Json, value: unknown): string[] {
  const validate = ajv.compile(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e: { instancePath: string; message?: string }) => `${e.instancePath || '/'} ${e.message}`);
}

export interface Mutant {
  /** What was changed, e.g. "without customer.email" or "card.number as a number". */
  name: string;
  body: unknown;
}

const clone = <T>(v: T): T => structuredClone(v);

function setAt(root: unknown, path: (string | number)[], value: unknown, remove = false): unknown {
  const copy = clone(root);
  let node = copy as Json;
  for (const key of path.slice(0, -1)) node = (node as Json)[key as string] as Json;
  const last = path[path.length - 1] as string;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

const WRONG: Record<string, unknown> = { string: 12345, number: 'x', integer: 'x', boolean: 'x', object: 'x', array: 'x' };

/** The schema a value at one step below `schema` must satisfy (property or array item), when it says. */
function childSchema(schema: Json, key: string | number): Json | undefined {
  if (typeof key === 'number') return (schema.items as Json | undefined) ?? undefined;
  const props = schema.properties as Record<string, Json> | undefined;
  if (props && key in props) return props[key];
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') return schema.additionalProperties as Json;
  return undefined;
}

/** Every one-change request the schema forbids, derived from a valid example. */
export function mutants(schema: Json, example: unknown): Mutant[] {
  const out: Mutant[] = [];
  const walk = (s: Json | undefined, value: unknown, path: (string | number)[]) => {
    if (!s) return;
    const name = path.join('.') || 'the body';
    const type = typeof s.type === 'string' ? s.type : undefined;
    if (path.length > 0) {
      if (type && type in WRONG) {
        out.push({
          name: `${name} as ${typeof WRONG[type] === 'number' ? 'a number' : 'a string'}`,
          body: setAt(example, path, WRONG[type]),
        });
      }
      if (typeof s.maxLength === 'number' && typeof value === 'string') {
        out.push({
          name: `${name} one past maxLength ${s.maxLength}`,
          body: setAt(example, path, value.padEnd(s.maxLength + 1, value.slice(-1) || '1')),
        });
      }
      if (Array.isArray(s.enum)) out.push({ name: `${name} outside its enum`, body: setAt(example, path, 'NOT_A_DOCUMENTED_VALUE') });
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const required = (s.required as string[] | undefined) ?? [];
      for (const key of required)
        if (key in (value as Json))
          out.push({ name: `without ${[...path, key].join('.')}`, body: setAt(example, [...path, key], undefined, true) });
      if (s.additionalProperties === false) {
        out.push({ name: `${name} with an unknown field`, body: setAt(example, [...path, 'undocumentedField'], 'x') });
      }
      for (const [k, v] of Object.entries(value as Json)) walk(childSchema(s, k), v, [...path, k]);
    } else if (Array.isArray(value) && value.length > 0) {
      walk(childSchema(s, 0), value[0], [...path, 0]);
    }
  };
  walk(schema, example, []);
  // Only what the schema really forbids (a removed field may be allowed by another branch, a padded string
  // may still fit): the test then asserts the server refuses each.
  return out.filter((m) => schemaErrors(schema, m.body).length > 0);
}

/** Problems of an answer against the documented response for its status (empty when it matches). */
export function responseProblems(
  doc: OpenApiDocument,
  method: string,
  path: string,
  answer: { statusCode: number; headers: Record<string, unknown>; body: string },
): string[] {
  const op = operationOf(doc, method, path);
  const responses = op.responses as Record<string, Json>;
  const documented = responses[String(answer.statusCode)] ?? responses[`${String(answer.statusCode)[0]}XX`] ?? responses.default;
  if (!documented) return [`status ${answer.statusCode} is not documented for ${method} ${path}`];
  const content = documented.content as Record<string, Json> | undefined;
  if (!content) return answer.body.length === 0 ? [] : [`${answer.statusCode} documents no body, but one was sent`];
  const type =
    String(answer.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim() ?? '';
  const media = content[type] ?? Object.entries(content).find(([t]) => t === '*/*')?.[1];
  if (!media) return [`content type ${type} is not documented for ${answer.statusCode} (documented: ${Object.keys(content).join(', ')})`];
  if (!media.schema) return [];
  let value: unknown = answer.body;
  if (type.includes('json')) {
    try {
      value = JSON.parse(answer.body);
    } catch {
      return ['the body is not JSON'];
    }
  }
  return schemaErrors(resolve(doc, media.schema) as Json, value).map((e) => `${answer.statusCode}: ${e}`);
}

/** Every example a document gives (request bodies, responses, parameters) that its own schema refuses. */
export function invalidExamples(doc: OpenApiDocument): string[] {
  const bad: string[] = [];
  const check = (where: string, schema: unknown, examples: unknown[]) => {
    if (!schema) return;
    for (const ex of examples) for (const e of schemaErrors(resolve(doc, schema) as Json, ex)) bad.push(`${where}: ${e}`);
  };
  const media = (where: string, content: Record<string, Json> | undefined) => {
    for (const [type, m] of Object.entries(content ?? {})) {
      const examples = [
        ...(m.example !== undefined ? [m.example] : []),
        ...Object.values((m.examples as Record<string, Json> | undefined) ?? {}).map((e) => e.value),
      ];
      check(`${where} ${type}`, m.schema, examples);
    }
  };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      media(`${method.toUpperCase()} ${path} request`, (op.requestBody as Json | undefined)?.content as Record<string, Json>);
      for (const [status, r] of Object.entries((op.responses as Record<string, Json>) ?? {})) {
        media(`${method.toUpperCase()} ${path} ${status}`, r.content as Record<string, Json>);
      }
    }
  }
  return bad;
}
