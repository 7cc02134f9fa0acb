/**
 * One OpenAPI 3.1 document per API (native, the five gateways, operations), generated from the schemas the
 * routes are registered with: @fastify/swagger turns every route into an operation, this module decides
 * which document each operation belongs to (by path, the same `apiOf` the guard uses) and what each
 * document says about itself (title, security schemes). Served at /openapi/<api>.json, browsable at /docs.
 *
 * No route is hidden: a route registered without a summary, a security requirement or an error response
 * fails test/api/openapi.test.ts, so a route cannot exist undocumented.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { VERSION } from '../version.ts';
import type { ApiDocument } from './document.ts';
import { GATEWAY_IDS } from './gateways/index.ts';
import { type ApiName, apiOf } from './guard.ts';
import { document as native } from './native/openapi.ts';
import { document as ops } from './ops-routes.ts';

export type { ApiDocument } from './document.ts';
export type DocumentId = ApiName | 'ops';

/** Every document: the native API's, each gateway's (GATEWAYS), the operations routes'. */
export const DOCUMENT_IDS: readonly DocumentId[] = ['native', ...GATEWAY_IDS, 'ops'];

export const documentOf = (url: string): DocumentId => apiOf(url) ?? 'ops';

/** The documents of an app: the native and ops ones, and those its gateways bring. */
export interface DocumentSet {
  /** By document id (the API name, or 'ops'). */
  documents: Record<string, ApiDocument>;
  /** Which document a path belongs to. */
  documentOf: (url: string) => string;
}

/** The native and ops documents with the gateways' own. */
export function documentSet(gateways: Record<string, ApiDocument>, apiOfPath: (url: string) => string | null): DocumentSet {
  return { documents: { native, ...gateways, ops }, documentOf: (url) => apiOfPath(url) ?? 'ops' };
}

/** The URL of each document. */
export const documentUrl = (id: string): string => `/openapi/${id}.json`;

type OpenApi = {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  [k: string]: unknown;
};

/** One API's document cut out of the whole route table. */
export function splitDocument(all: OpenApi, id: string, set: DocumentSet): OpenApi {
  const doc = set.documents[id] as ApiDocument;
  const paths: OpenApi['paths'] = {};
  for (const [path, item] of Object.entries(all.paths)) if (set.documentOf(path) === id) paths[path] = item;
  const schemas = referencedSchemas(paths, all.components?.schemas ?? {});
  return {
    openapi: '3.1.0',
    info: {
      title: doc.title,
      version: VERSION,
      description: doc.description,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'This tokenvault server' }],
    ...(doc.tags ? { tags: doc.tags } : {}),
    paths,
    components: {
      ...(Object.keys(schemas).length ? { schemas } : {}),
      securitySchemes: doc.securitySchemes,
    },
  };
}

/** The component schemas a set of paths refers to, following references between schemas. */
function referencedSchemas(paths: unknown, all: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
        const name = v.slice('#/components/schemas/'.length);
        if (!(name in out) && name in all) {
          out[name] = all[name];
          visit(all[name]);
        }
      } else visit(v);
    }
  };
  visit(paths);
  return out;
}

/**
 * For a gateway's scope: its routes' schemas document the wire, while the gateway reads and refuses fields
 * itself, in its own error shape and order (auth over the raw body first, then fields), which Fastify's
 * validator cannot do. So the schemas are not compiled into validators or serializers here; instead
 * test/helpers/openapi-conformance.ts holds each gateway to its document: every documented example is
 * accepted, every mutation the schema forbids (a required field removed, a wrong type, an over-long
 * string, a value outside an enum, an unknown field) is refused, and every answer matches the documented
 * response for its status.
 */
export function documentWire(scope: FastifyInstance): void {
  scope.setValidatorCompiler(() => () => true);
  scope.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/** The routes as registered (method and URL), for the test that no route goes undocumented. */
const routeTables = new WeakMap<FastifyInstance, { method: string; url: string; hidden: boolean }[]>();
export const registeredRoutes = (app: FastifyInstance) => routeTables.get(app) ?? [];

export async function registerDocs(app: FastifyInstance, set: DocumentSet): Promise<void> {
  const ids = Object.keys(set.documents);
  const table: { method: string; url: string; hidden: boolean }[] = [];
  routeTables.set(app, table);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true;
    for (const method of methods) table.push({ method, url: route.url, hidden });
  });

  await app.register(swagger, {
    // Every API's schemes together (their names are distinct); each document keeps its own.
    openapi: {
      openapi: '3.1.0',
      info: { title: 'tokenvault', version: VERSION },
      components: { securitySchemes: Object.assign({}, ...ids.map((id) => set.documents[id]?.securitySchemes)) },
    },
    transform: ({ schema, url, route }) => {
      const doc = set.documents[set.documentOf(url)] as ApiDocument;
      const base = (schema ?? {}) as Record<string, unknown>;
      return { schema: (doc.operation ? doc.operation(base, route as RouteOptions) : base) as FastifySchema, url };
    },
  });

  // Cut once, on first use: the route table does not change after start.
  const cache = new Map<string, OpenApi>();
  const documentFor = (id: string): OpenApi => {
    let d = cache.get(id);
    if (!d) {
      d = splitDocument(app.swagger() as unknown as OpenApi, id, set);
      cache.set(id, d);
    }
    return d;
  };
  for (const id of ids) {
    app.get(
      documentUrl(id),
      {
        schema: {
          operationId: `get${id[0]?.toUpperCase()}${id.slice(1)}OpenApi`,
          summary: `The OpenAPI 3.1 document of the ${set.documents[id]?.title}`,
          tags: ['documents'],
          security: [],
          response: { 200: { description: 'An OpenAPI 3.1 document', type: 'object', additionalProperties: true } },
        },
      },
      async () => documentFor(id),
    );
  }
  // The native document's old address, kept for clients that read it there.
  app.get(
    '/openapi.json',
    {
      schema: {
        operationId: 'getOpenApiLegacy',
        summary: 'The native API document at its earlier address (same as /openapi/native.json)',
        tags: ['documents'],
        deprecated: true,
        security: [],
        response: { 200: { description: 'An OpenAPI 3.1 document', type: 'object', additionalProperties: true } },
      },
    },
    async () => documentFor('native'),
  );
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // A document picker in the top bar: the native API first.
    uiConfig: { urls: ids.map((id) => ({ url: documentUrl(id), name: set.documents[id]?.title })) } as Record<string, unknown>,
    transformSpecification: () => documentFor('native'),
  });
}
