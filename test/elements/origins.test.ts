/// <reference lib="dom" />
/**
 * Card elements against a page the key does not list, in a real browser (issue 22): such a page cannot frame the
 * card fields (the browser blocks it: Content-Security-Policy frame-ancestors names only the key's origins) and
 * cannot call the endpoint (no CORS for it, and the server refuses and writes nothing). And a publishable key is
 * refused everywhere else: it cannot read, reveal, pay or list.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishableKey } from '../api/elements/helpers.ts';
import { client, createMerchant, futureYear, type TestMerchant, tokenize, VISA } from '../helpers/harness.ts';
import { checkoutPage, ensureChromium, launchBrowser, type PageServer, servePages, startVault, type Vault } from './support.ts';

let vault: Vault;
let shop: PageServer;
let stranger: PageServer;
let browser: Browser;
let m: TestMerchant;
let pk: { id: string; key: string };

const countCards = async () =>
  Number(
    (
      await vault.t.vault.store.db
        .selectFrom('cards')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  ensureChromium();
  vault = await startVault();
  m = await createMerchant(vault.t, 'Origins shop');
  const shopPages: Record<string, string> = {};
  const strangerPages: Record<string, string> = {};
  shop = await servePages(shopPages);
  stranger = await servePages(strangerPages);
  pk = await publishableKey(vault.t, m.id, [shop.origin]);
  shopPages['/checkout'] = checkoutPage(vault.url, pk.key);
  // The stranger copies the shop's page and its key...
  strangerPages['/checkout'] = checkoutPage(vault.url, pk.key);
  // ... and frames the card iframe itself, claiming to be the shop.
  const claimed = new URLSearchParams({ key: pk.key, origin: shop.origin, channel: 'c1' });
  strangerPages['/frame'] =
    `<!doctype html><html><body><iframe id="f" src="${vault.url}/elements/v1/card?${claimed}"></iframe></body></html>`;
  strangerPages['/blank'] = '<!doctype html><html><body>stranger</body></html>';
  browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await stranger?.close();
  await shop?.close();
  await vault?.close();
});

/** Chromium's own report that it blocked a framing (its console error naming frame-ancestors), once it comes. */
const browserRefusal = (page: Page): Promise<string> =>
  page
    .waitForEvent('console', {
      predicate: (msg) => /violates the following Content Security Policy directive: "frame-ancestors/.test(msg.text()),
      timeout: 10_000,
    })
    .then((msg) => msg.text());

/** The inputs a frame of the page shows, once it has loaded (none when the browser refused to show it). */
async function framedInputs(page: Page): Promise<number> {
  const handle = await page.waitForSelector('iframe');
  const frame = await handle.contentFrame();
  if (!frame) return 0;
  await frame.waitForLoadState('load').catch(() => undefined);
  return frame.locator('input').count();
}

describe('a page on an origin the key does not list', () => {
  it('cannot frame the card fields, even naming the shop as its origin: the browser blocks it', async () => {
    const page = await browser.newPage();
    const refused = browserRefusal(page);
    const cardAnswer = page.waitForResponse((r) => r.url().startsWith(`${vault.url}/elements/v1/card?`));
    await page.goto(`${stranger.origin}/frame`);
    // The vault did answer the document (its origin parameter is the shop's), with the policy that forbids this framing.
    const answer = await cardAnswer;
    expect(answer.status()).toBe(200);
    expect(answer.headers()['content-security-policy']).toContain(`frame-ancestors ${shop.origin}`);
    expect(answer.headers()['content-security-policy']).not.toContain(stranger.origin);
    expect(await refused).toContain(`frame-ancestors ${shop.origin}`);
    expect(await framedInputs(page)).toBe(0);
    await page.close();
  });

  it('cannot mount the element with tokenvault.js: the iframe is refused and never gets ready', async () => {
    const page = await browser.newPage();
    const refused = browserRefusal(page);
    const cardAnswer = page.waitForResponse((r) => r.url().startsWith(`${vault.url}/elements/v1/card?`));
    await page.goto(`${stranger.origin}/checkout`);
    const answer = await cardAnswer;
    expect(answer.status()).toBe(403);
    expect(answer.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(await refused).toContain("frame-ancestors 'none'");
    expect(await framedInputs(page)).toBe(0);
    // Asking to tokenize gets no answer: the page learns nothing, and the vault wrote nothing.
    expect(await page.evaluate(() => (window as unknown as { __seen: { ready: boolean } }).__seen.ready)).toBe(false);
    await page.close();
  });

  it('cannot call the endpoint: CORS fails in the browser and the vault refuses and writes nothing', async () => {
    const before = await countCards();
    const page = await browser.newPage();
    await page.goto(`${stranger.origin}/blank`);
    const attempts = await page.evaluate(
      async ({ vaultUrl, key, card }) => {
        const url = `${vaultUrl}/elements/v1/tokens?key=${key}`;
        const out: string[] = [];
        try {
          await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(card) });
          out.push('cors: read');
        } catch (e) {
          out.push(`cors: ${(e as Error).name}`);
        }
        // A "simple" request needs no preflight, and its answer cannot be read; the vault must still refuse it.
        try {
          const r = await fetch(url, {
            method: 'POST',
            mode: 'no-cors',
            headers: { 'content-type': 'text/plain' },
            body: JSON.stringify(card),
          });
          out.push(`no-cors: ${r.type}`);
        } catch (e) {
          out.push(`no-cors: ${(e as Error).name}`);
        }
        return out;
      },
      { vaultUrl: vault.url, key: pk.key, card: { number: VISA, expMonth: 12, expYear: futureYear(), cvc: '123' } },
    );
    expect(attempts).toEqual(['cors: TypeError', 'no-cors: opaque']);
    expect(await countCards()).toBe(before);
    await page.close();
  });

  it('while the shop, on its listed origin, mounts the same element and gets ready', async () => {
    const page = await browser.newPage();
    await page.goto(`${shop.origin}/checkout`);
    await page.waitForFunction(() => (window as unknown as { __seen: { ready: boolean } }).__seen.ready, null, { timeout: 10_000 });
    expect(await framedInputs(page)).toBe(4);
    await page.close();
  });
});

describe('a publishable key anywhere else', () => {
  it('cannot read, reveal, pay or list (native API over HTTP), nor act as a gateway or admin credential', async () => {
    const token = (await tokenize(client(vault.t, m.apiKey))).token as string;
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${vault.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${pk.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const answers = {
      read: await call('GET', `/v1/cards/${token}`),
      reveal: await call('POST', `/v1/cards/${token}/reveal`, { purpose: 'steal', jwk: { kty: 'RSA' } }),
      pay: await call('POST', '/v1/payments', { token, amount: 100, currency: 'USD' }),
      listCards: await call('GET', '/v1/cards'),
      listCustomers: await call('GET', '/v1/customers'),
      listPayments: await call('GET', '/v1/payments'),
      admin: await call('GET', '/v1/admin/merchants'),
      appotapay: await call('POST', '/credit-card/token', {}),
    };
    const statuses = Object.fromEntries(Object.entries(answers).map(([k, r]) => [k, r.status]));
    expect(statuses).toEqual({
      read: 403,
      reveal: 403,
      pay: 403,
      listCards: 403,
      listCustomers: 403,
      listPayments: 403,
      admin: 401,
      appotapay: 401,
    });
    for (const r of Object.values(answers)) expect(await r.text()).not.toContain(VISA);
  });
});
