/**
 * The one credential resolver of the gateways: a gateway names the key its requests carry (OPay MerchantId,
 * AppotaPay API key, AlliancePay service code, Cybersource merchant id) and how to turn a credential's public
 * and decrypted secret halves into what it verifies with (an HMAC key, KeyObjects). Built values are cached,
 * so a secret is decrypted and a key imported once; every resolution still reads the credential's row (one
 * indexed read), so a revoked credential, a deleted merchant or a rotated key takes effect on the next request.
 */
import type { GatewayCredentialView, MerchantService } from '../../../vault/merchants.ts';

/** A credential ready to verify with. */
export interface Resolved<T> {
  credentialId: string;
  merchantId: string;
  value: T;
}

export type Resolution<T> =
  | { ok: true; credential: Resolved<T> }
  /** No active credential goes by that key; or one was found but its merchant or itself is no longer usable. */
  | { ok: false; reason: 'unknown' | 'unusable'; merchantId?: string };

export interface CredentialHalves {
  credentialId: string;
  merchantId: string;
  publicData: Record<string, unknown>;
  secret: Record<string, unknown>;
}

export type CredentialSource = Pick<
  MerchantService,
  'gatewayCredential' | 'gatewayCredentials' | 'gatewayCredentialState' | 'gatewaySecret'
>;

export interface CredentialResolver<T> {
  /** By the key the request names. */
  byLookupKey(lookupKey: string): Promise<Resolution<T>>;
  /** By credential id and its merchant (a gateway session remembers which credential opened it). */
  byId(credentialId: string, merchantId: string): Promise<Resolution<T>>;
  /** Every active credential of the gateway, for a gateway that must try each (2C2P: by signature). */
  all(): Promise<Resolved<T>[]>;
}

const MAX_CACHED = 10_000;

export function credentialResolver<T>(
  merchants: CredentialSource,
  gateway: Parameters<MerchantService['gatewayCredential']>[0],
  build: (halves: CredentialHalves) => T | Promise<T>,
): CredentialResolver<T> {
  /** Built values by credential id, with the row text they were built from. */
  const cache = new Map<string, { resolved: Resolved<T>; source: string }>();
  const byKey = new Map<string, string>();

  /** The credential's row read now; the cached value when the row is unchanged, else built again. */
  async function fresh(view: Pick<GatewayCredentialView, 'id' | 'merchantId'>): Promise<Resolution<T>> {
    const state = await merchants.gatewayCredentialState(view.id);
    if (!state?.usable) {
      cache.delete(view.id);
      return { ok: false, reason: 'unusable', merchantId: view.merchantId };
    }
    const source = `${state.publicData}|${state.secretData}`;
    const hit = cache.get(view.id);
    if (hit && hit.source === source) return { ok: true, credential: hit.resolved };
    const secret = await merchants.gatewaySecret(view.merchantId, view.id);
    if (!secret) return { ok: false, reason: 'unusable', merchantId: view.merchantId };
    const publicData = JSON.parse(state.publicData) as Record<string, unknown>;
    const halves = { credentialId: view.id, merchantId: view.merchantId, publicData, secret };
    const resolved: Resolved<T> = { ...halves, value: await build(halves) };
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(view.id, { resolved, source });
    return { ok: true, credential: resolved };
  }

  return {
    async byLookupKey(lookupKey) {
      const id = byKey.get(lookupKey);
      const hit = id === undefined ? undefined : cache.get(id);
      if (hit) {
        const r = await fresh({ id: hit.resolved.credentialId, merchantId: hit.resolved.merchantId });
        if (r.ok) return r;
        byKey.delete(lookupKey);
      }
      const view = await merchants.gatewayCredential(gateway, { lookupKey });
      if (!view) return { ok: false, reason: 'unknown' };
      const r = await fresh(view);
      if (r.ok) {
        if (byKey.size >= MAX_CACHED) byKey.clear();
        byKey.set(lookupKey, view.id);
      }
      return r;
    },
    byId: (credentialId, merchantId) => fresh({ id: credentialId, merchantId }),
    async all() {
      const out: Resolved<T>[] = [];
      for (const view of await merchants.gatewayCredentials(gateway)) {
        const r = await fresh(view);
        if (r.ok) out.push(r.credential);
      }
      return out;
    },
  };
}
