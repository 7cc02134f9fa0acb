/** Shared by the card elements API tests: publishable keys and the endpoint, driven through app.inject. */
import type { LightMyRequestResponse } from 'fastify';
import { ADMIN_TOKEN, futureYear, type TestApp, VISA } from '../../helpers/harness.ts';

export const SHOP = 'https://shop.example';
export const OTHER_SHOP = 'https://other.example';

export async function publishableKey(
  t: TestApp,
  merchantId: string,
  origins: string[] = [SHOP],
): Promise<{ id: string; key: string; origins: string[] }> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/admin/merchants/${merchantId}/api-keys`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { type: 'publishable', origins },
  });
  if (res.statusCode !== 201) throw new Error(`publishable key: ${res.statusCode} ${res.body}`);
  return res.json();
}

export const cardBody = (over: Record<string, unknown> = {}) => ({
  number: VISA,
  expMonth: 12,
  expYear: futureYear(),
  cvc: '123',
  ...over,
});

/** POST /elements/v1/tokens as a browser on `origin` sends it (no Origin header when `origin` is null). */
export function sendCard(
  t: TestApp,
  key: string,
  origin: string | null,
  body: Record<string, unknown> = cardBody(),
  query: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const qs = new URLSearchParams({ key, ...query }).toString();
  return t.app.inject({
    method: 'POST',
    url: `/elements/v1/tokens?${qs}`,
    headers: origin === null ? {} : { origin },
    payload: body,
  });
}
