/** How merchants, their API keys and gateway credentials read to callers. */
import type { Scope } from '../scopes.ts';

export interface Principal {
  readonly merchantId: string;
  readonly keyId: string;
  readonly scopes: ReadonlySet<Scope>;
}

export interface ApiKeyView {
  id: string;
  prefix: string;
  scopes: Scope[];
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface MerchantView {
  id: string;
  name: string;
  status: string;
  createdAt: string;
}

export const keyView = (r: {
  id: string;
  prefix: string;
  scopes: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}): ApiKeyView => ({
  id: r.id,
  prefix: r.prefix,
  scopes: r.scopes.split(' ') as Scope[],
  label: r.label,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export interface GatewayCredentialView {
  id: string;
  merchantId: string;
  lookupKey: string;
  publicData: Record<string, unknown>;
  publicText: string;
}

export const credentialView = (r: { id: string; merchant_id: string; lookup_key: string; public_data: string }): GatewayCredentialView => ({
  id: r.id,
  merchantId: r.merchant_id,
  lookupKey: r.lookup_key,
  publicData: JSON.parse(r.public_data),
  publicText: r.public_data,
});
