/** The 2C2P customer tokens (PGW v4.3 customer token API) OpenAPI document: what it says beyond each route's schema (see src/api/openapi.ts). */
import type { ApiDocument } from '../../openapi.ts';

export const document: ApiDocument = {
  title: '2C2P customer tokens (PGW v4.3 customer token API), wire-compatible',
  description: "Served by tokenvault with the gateway's own paths, fields, codes, authentication and message crypto (docs/).",
  securitySchemes: {},
};
