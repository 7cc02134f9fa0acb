/** How merchants, their API keys and gateway credentials read to callers. */
import type { ApiKeyRow } from '../../store/schema.ts';
import type { Scope } from '../scopes.ts';

/** A secret key (`tv_sk_…`, used by the merchant's servers) or a publishable one (`tv_pk_…`, used in shoppers' browsers). */
export type ApiKeyType = 'secret' | 'publishable';

export interface Principal {
  readonly merchantId: string;
  readonly keyId: string;
  readonly type: ApiKeyType;
  /** A publishable key has none: it may only create card tokens through the elements endpoint. */
  readonly scopes: ReadonlySet<Scope>;
  /** The web origins a publishable key is used from (empty for a secret key). */
  readonly origins: readonly string[];
}

export interface ApiKeyView {
  id: string;
  /** Only on a publishable key: a key without it is a secret key, as every key was before publishable ones. */
  type?: 'publishable';
  prefix: string;
  scopes: Scope[];
  origins?: string[];
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

/** A key row's type, scopes and origins, as every reader of one sees them. */
export const keyAccess = (r: Pick<ApiKeyRow, 'kind' | 'scopes' | 'origins'>): { type: ApiKeyType; scopes: Scope[]; origins: string[] } =>
  r.kind === 'publishable'
    ? { type: 'publishable', scopes: [], origins: JSON.parse(r.origins ?? '[]') as string[] }
    : { type: 'secret', scopes: r.scopes.split(' ') as Scope[], origins: [] };

export const keyView = (
  r: Pick<ApiKeyRow, 'id' | 'prefix' | 'scopes' | 'label' | 'created_at' | 'revoked_at' | 'kind' | 'origins'>,
): ApiKeyView => {
  const access = keyAccess(r);
  return {
    id: r.id,
    ...(access.type === 'publishable' ? { type: 'publishable' as const } : {}),
    prefix: r.prefix,
    scopes: access.scopes,
    ...(access.type === 'publishable' ? { origins: access.origins } : {}),
    label: r.label,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
};

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
