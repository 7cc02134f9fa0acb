import type { RouteOptions } from 'fastify';

/** What one API's OpenAPI document says about itself; its operations come from the routes (api/openapi.ts). */
export interface ApiDocument {
  title: string;
  description: string;
  /** OpenAPI security schemes, by name; operations name the ones they need. */
  securitySchemes: Record<string, Record<string, unknown>>;
  tags?: { name: string; description: string }[];
  /** Adds what every operation of this API shares (security, headers, error answers) to a route's schema. */
  operation?: (schema: Record<string, unknown>, route: RouteOptions) => Record<string, unknown>;
}
