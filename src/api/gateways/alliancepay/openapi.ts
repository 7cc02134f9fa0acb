/** The AlliancePay e-commerce tokens and payments OpenAPI document: what it says beyond each route's schema (see src/api/openapi.ts). */
import type { ApiDocument } from '../../openapi.ts';

export const document: ApiDocument = {
  title: 'AlliancePay e-commerce tokens and payments, wire-compatible',
  description: "Served by tokenvault with the gateway's own paths, fields, codes, authentication and message crypto (docs/).",
  securitySchemes: {},
};
