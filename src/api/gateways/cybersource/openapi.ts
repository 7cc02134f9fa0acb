/** The Cybersource Token Management Service (TMS) and Payments (PTS) OpenAPI document: what it says beyond each route's schema (see src/api/openapi.ts). */
import type { ApiDocument } from '../../openapi.ts';

export const document: ApiDocument = {
  title: 'Cybersource Token Management Service (TMS) and Payments (PTS), wire-compatible',
  description: "Served by tokenvault with the gateway's own paths, fields, codes, authentication and message crypto (docs/).",
  securitySchemes: {},
};
