/** The OPay international card tokens OpenAPI document: what it says beyond each route's schema (see src/api/openapi.ts). */
import type { ApiDocument } from '../../openapi.ts';

export const document: ApiDocument = {
  title: 'OPay international card tokens, wire-compatible',
  description: "Served by tokenvault with the gateway's own paths, fields, codes, authentication and message crypto (docs/).",
  securitySchemes: {},
};
