/**
 * The routes the fuzz suite covers, by API. routes.test.ts fails when the server serves a route missing
 * here (or lists one it no longer serves), and each API's fuzz file fails when it has no generator for one
 * of its routes: a new route cannot go unfuzzed.
 */
import type { Api } from './support.ts';

const expand = (lines: string[]): string[] =>
  lines.flatMap((line) => {
    const [methods, path] = line.split(' ') as [string, string];
    return methods.split(',').map((m) => `${m} ${path}`);
  });

export const ROUTES: Record<Api, string[]> = {
  native: expand([
    'GET,HEAD /docs',
    'GET,HEAD /docs/',
    'GET,HEAD /docs/static/index.html',
    'GET,HEAD /docs/static/swagger-initializer.js',
    'GET,HEAD /docs/*',
    'GET,HEAD /docs/json',
    'GET,HEAD /docs/yaml',
    'GET,HEAD /openapi.json',
    'GET,HEAD /healthz',
    'GET,HEAD /readyz',
    'GET,HEAD /metrics',
    'POST,GET,HEAD /v1/admin/merchants',
    'GET,HEAD,DELETE /v1/admin/merchants/:id',
    'POST /v1/admin/merchants/:id/api-keys',
    'DELETE /v1/admin/merchants/:id/api-keys/:keyId',
    'PUT /v1/admin/merchants/:id/gateways/twoc2p/keys',
    'GET,HEAD /v1/admin/merchants/:id/gateways/twoc2p/vault-public-key',
    'PUT /v1/admin/merchants/:id/gateways/cybersource/keys',
    'GET,HEAD /v1/audit-events',
    'POST,GET,HEAD /v1/customers',
    'GET,HEAD,PATCH,DELETE /v1/customers/:id',
    'GET,HEAD /v1/customers/:id/cards',
    'POST,GET,HEAD /v1/customers/:id/addresses',
    'GET,HEAD,PATCH,DELETE /v1/customers/:id/addresses/:addressId',
    'POST,GET,HEAD /v1/cards',
    'GET,HEAD,PATCH,DELETE /v1/cards/:token',
    'POST /v1/cards/:token/status',
    'POST /v1/cards/:token/reveal',
    'POST /v1/credits',
    'POST,GET,HEAD /v1/payments',
    'GET,HEAD /v1/payments/:id',
    'POST /v1/payments/:id/capture',
    'POST /v1/payments/:id/refund',
    'POST /v1/payments/:id/void',
    'POST /v1/payments/:id/authenticate',
  ]),
  twoc2p: expand([
    'POST /customertoken/3.0/CustomerToken/add',
    'POST /customertoken/3.0/CustomerToken/update',
    'POST /customertoken/3.0/CustomerToken/get',
    'POST /customertoken/3.0/CustomerToken/delete',
  ]),
  opay: expand([
    'POST /api/v1/international/token/create',
    'POST /api/v1/international/token/query',
    'POST /api/v1/international/token/delete',
  ]),
  alliancepay: expand([
    'POST /api-gateway/authorize_virtual_device',
    'POST /ecom/execute_request/token/v1/create',
    'POST /ecom/execute_request/token/v1/list/by-customer-id',
    'POST /ecom/execute_request/token/v1/get',
    'POST /ecom/execute_request/token/v1/state/update',
    'POST /ecom/execute_request/payments/v1/token/purchase',
    'POST /ecom/execute_request/payments/v1/token/purchase/3ds',
    'POST /ecom/execute_request/payments/v1/token/c2a',
    'POST /ecom/execute_request/payments/v1/token/c2a/3ds',
    'POST /ecom/execute_request/payments/v1/purchase',
    'POST /ecom/execute_request/payments/v1/purchase/3ds',
  ]),
  appotapay: expand([
    'POST /credit-card/token',
    'DELETE /credit-card/token/:tokenId',
    'POST /credit-card/charge',
    'GET,HEAD /credit-card/charge/:id',
    'POST /credit-card/:authorizationId/capture',
  ]),
  cybersource: expand([
    'POST /tms/v2/customers',
    'GET,HEAD,PATCH,DELETE /tms/v2/customers/:customerId',
    'POST,GET,HEAD /tms/v2/customers/:customerId/payment-instruments',
    'GET,HEAD,PATCH,DELETE /tms/v2/customers/:customerId/payment-instruments/:piId',
    'POST,GET,HEAD /tms/v2/customers/:customerId/shipping-addresses',
    'GET,HEAD,PATCH,DELETE /tms/v2/customers/:customerId/shipping-addresses/:addressId',
    'POST /tms/v1/instrumentidentifiers',
    'GET,HEAD,PATCH,DELETE /tms/v1/instrumentidentifiers/:instrumentId',
    'GET,HEAD /tms/v1/instrumentidentifiers/:instrumentId/paymentinstruments',
    'POST /tms/v1/paymentinstruments',
    'GET,HEAD,PATCH,DELETE /tms/v1/paymentinstruments/:piId',
    'POST /pts/v2/payments',
    'GET,HEAD /pts/v2/payments/:id',
    'POST /pts/v2/payments/:id/captures',
    'POST /pts/v2/payments/:id/reversals',
    'POST /pts/v2/payments/:id/refunds',
    'POST /pts/v2/credits',
    'POST /pts/v2/captures/:id/refunds',
  ]),
};
