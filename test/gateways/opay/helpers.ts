/** An OPay merchant's side of the wire: JSON body signed with HMAC-SHA512 (hex) of the sorted-key JSON. */
import { createHmac } from 'node:crypto';
import type { TestApp, TestMerchant } from '../../helpers/harness.ts';

/** As OPay's docs and community clients do: keys sorted recursively, compact JSON. */
export function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v as Record<string, unknown>)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(value));
}

export const hmacHex = (secret: string, text: string) => createHmac('sha512', secret).update(text).digest('hex');

export interface OpayClient {
  merchantId: string;
  secretKey: string;
  call(
    op: 'create' | 'query' | 'delete',
    body: unknown,
    opts?: { raw?: string; signature?: string; merchantId?: string; headers?: Record<string, string>; omit?: string[] },
  ): Promise<{ status: number; json: { code: string; message: string; data: unknown } }>;
}

export function opayClient(t: TestApp, m: TestMerchant): OpayClient {
  const g = (m.credentials.gateways as Record<string, Record<string, string>>).opay as Record<string, string>;
  const merchantId = g.merchantId as string;
  const secretKey = g.secretKey as string;
  return {
    merchantId,
    secretKey,
    async call(op, body, opts = {}) {
      const text = opts.raw ?? sortedJson(body);
      const signature = opts.signature ?? hmacHex(secretKey, text);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        authorization: `Bearer ${signature}`,
        merchantid: opts.merchantId ?? merchantId,
        ...opts.headers,
      };
      // Headers a test wants absent altogether (not merely empty).
      for (const name of opts.omit ?? []) delete headers[name.toLowerCase()];
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/international/token/${op}`, headers, payload: text });
      return { status: res.statusCode, json: res.json() };
    },
  };
}
