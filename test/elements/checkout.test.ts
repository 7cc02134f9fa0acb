/// <reference lib="dom" />
/**
 * Card elements in a real browser (issue 22): a shop's checkout page on its own origin loads tokenvault.js, the
 * shopper types a card into the vault's iframe, the page gets a token, and the shop's server uses it (retrieve,
 * pay through the simulator, read it through the Cybersource API). The page itself never holds the card number;
 * a bad card shows a `change` error and `tokenize` rejects, with no digit of the number; keyboard-only entry
 * works and every field has a label. A screenshot of the demo page is written to test-output/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containsCardNumber } from '../../src/domain/pan-detector.ts';
import { publishableKey } from '../api/elements/helpers.ts';
import { cybs } from '../gateways/cybersource/helpers.ts';
import { client, createMerchant, futureYear, type TestMerchant } from '../helpers/harness.ts';
import { checkoutPage, ensureChromium, launchBrowser, OUTPUT_DIR, type PageServer, servePages, startVault, type Vault } from './support.ts';

const CARD = '4242424242424242';
const BAD_CARD = '4242424242424241';
const YY = String(futureYear() % 100).padStart(2, '0');

let vault: Vault;
let shop: PageServer;
let browser: Browser;
let m: TestMerchant;
let pk: { id: string; key: string };
let chromiumVersion = '';

beforeAll(async () => {
  chromiumVersion = ensureChromium();
  vault = await startVault();
  m = await createMerchant(vault.t, 'Browser shop');
  // The shop's origin is known only once its server listens: its pages are filled in after.
  const pages: Record<string, string> = {};
  shop = await servePages(pages);
  pk = await publishableKey(vault.t, m.id, [shop.origin]);
  pages['/checkout'] = checkoutPage(vault.url, pk.key);
  browser = await launchBrowser();
  console.log(`${chromiumVersion}, driven by playwright-core; vault ${vault.url}, shop ${shop.origin}`);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await shop?.close();
  await vault?.close();
});

/** The checkout page, once its card element is ready, and the card iframe. */
async function openCheckout(): Promise<{ page: Page; frame: Frame }> {
  const page = await browser.newPage();
  await page.goto(`${shop.origin}/checkout`);
  await page.waitForFunction(() => (window as unknown as { __seen: { ready: boolean } }).__seen.ready, null, { timeout: 10_000 });
  const handle = await page.waitForSelector('#card iframe');
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('no card iframe');
  return { page, frame };
}

type Seen = { changes: { complete: boolean; brand: string; error: { code: string; message: string } | null }[]; messages: string[] };
const seen = (page: Page) => page.evaluate(() => (window as unknown as { __seen: Seen }).__seen);
const outcome = async (page: Page) => {
  await page.waitForFunction(() => (window as unknown as { __outcome?: unknown }).__outcome, null, { timeout: 10_000 });
  return page.evaluate(
    () =>
      (window as unknown as { __outcome: { ok: boolean; result?: Record<string, unknown>; error?: Record<string, unknown> } }).__outcome,
  );
};

async function typeCard(frame: Frame, card: { number: string; expiry: string; cvc: string; name?: string }): Promise<void> {
  await frame.locator('input[name=number]').pressSequentially(card.number);
  await frame.locator('input[name=expiry]').pressSequentially(card.expiry);
  await frame.locator('input[name=cvc]').pressSequentially(card.cvc);
  if (card.name) await frame.locator('input[name=holderName]').pressSequentially(card.name);
}

/** Nothing of the page (its DOM, what it was told, what it can read of the iframe) holds the card number. */
async function expectPageBlind(page: Page, pan: string): Promise<void> {
  const html = await page.content();
  const told = JSON.stringify(await seen(page));
  const outcomeText = JSON.stringify(await page.evaluate(() => (window as unknown as { __outcome?: unknown }).__outcome ?? null));
  for (const text of [html, told, outcomeText]) {
    expect(containsCardNumber(text)).toBe(false);
    expect(text.replace(/[^0-9]/g, '')).not.toContain(pan);
  }
  // The iframe's document is another origin's: the page cannot reach into it.
  expect(await page.evaluate(() => document.querySelector('#card iframe')?.getAttribute('src') ?? '')).not.toContain(pan);
  expect(await page.evaluate(() => (document.querySelector('#card iframe') as HTMLIFrameElement).contentDocument)).toBeNull();
}

describe('a checkout page on another origin', () => {
  it('tokenizes a card typed into the iframe; the shop server retrieves it, pays with it, and Cybersource sees it', async () => {
    const { page, frame } = await openCheckout();
    await typeCard(frame, { number: CARD, expiry: `12/${YY}`, cvc: '123', name: 'Ada Lovelace' });
    await page.waitForFunction(() => (window as unknown as { __seen: Seen }).__seen.changes.some((c) => c.complete));
    const changes = (await seen(page)).changes;
    expect(changes.at(-1)).toEqual({ complete: true, brand: 'visa', error: null });
    await page.click('#pay');
    const done = await outcome(page);
    expect(done.ok, JSON.stringify(done)).toBe(true);
    const result = done.result as { token: string; brand: string; last4: string; expMonth: number; expYear: number };
    expect(result).toEqual({ token: expect.stringMatching(/^tok_/), brand: 'visa', last4: '4242', expMonth: 12, expYear: futureYear() });
    await expectPageBlind(page, CARD);

    // The shop's server, with its secret key.
    const shopServer = client(vault.t, m.apiKey);
    const card = await shopServer.get(`/v1/cards/${result.token}`);
    expect(card.statusCode).toBe(200);
    expect(card.json()).toMatchObject({ token: result.token, last4: '4242', holderName: 'Ada Lovelace', status: 'ACTIVE' });
    const payment = await shopServer.post('/v1/payments', { token: result.token, amount: 2400, currency: 'USD', capture: true });
    expect(payment.statusCode, payment.body).toBe(201);
    expect(payment.json().status).toMatch(/^(captured|succeeded|CAPTURED|SUCCEEDED)$/i);
    const instrumentId = card.json().instrumentIdentifier.id as string;
    const throughCybersource = await cybs(vault.t, m).get(`/tms/v1/instrumentidentifiers/${instrumentId}`);
    expect(throughCybersource.status, throughCybersource.body).toBe(200);
    expect(throughCybersource.body).toContain('4242');
    expect(throughCybersource.body).not.toContain(CARD);

    // Audited as made by the publishable key, from the shop's page.
    const events = (await shopServer.get(`/v1/audit-events?token=${result.token}&action=card.create`)).json().data;
    expect(events[0]).toMatchObject({ actor: pk.id, detail: { origin: shop.origin } });
    await page.close();
  });

  it('shows a change error and rejects tokenize for a bad card, with no digit of the number in either', async () => {
    const { page, frame } = await openCheckout();
    await typeCard(frame, { number: BAD_CARD, expiry: `12 / ${YY}`, cvc: '123' });
    await page.waitForFunction(() => (window as unknown as { __seen: Seen }).__seen.changes.some((c) => c.error !== null));
    const errorChange = (await seen(page)).changes.find((c) => c.error !== null);
    expect(errorChange).toMatchObject({ complete: false, error: { code: 'invalid_card_number', message: expect.any(String) } });
    expect(JSON.stringify(errorChange)).not.toMatch(/[0-9]/);
    // The shopper sees it too, inside the iframe.
    expect(await frame.locator('#error').textContent()).toBe(errorChange?.error?.message);
    expect(await frame.locator('input[name=number]').getAttribute('aria-invalid')).toBe('true');

    await page.click('#pay');
    const refused = await outcome(page);
    expect(refused.ok).toBe(false);
    expect(Object.keys(refused.error ?? {}).sort()).toEqual(['code', 'message']);
    expect(refused.error?.code).toBe('invalid_card_number');
    expect(JSON.stringify(refused.error)).not.toMatch(/[0-9]/);
    for (const message of (await seen(page)).messages) expect(message).not.toMatch(/4242/);
    await expectPageBlind(page, BAD_CARD);
    await page.close();
  });

  it('accepts the expiry as 12/YY, 12 / YY and 12YY', async () => {
    const { page, frame } = await openCheckout();
    await typeCard(frame, { number: CARD, expiry: '', cvc: '123' });
    for (const expiry of [`12/${YY}`, `12 / ${YY}`, `12${YY}`]) {
      await frame.locator('input[name=expiry]').fill('');
      await frame.locator('input[name=expiry]').pressSequentially(expiry);
      await page.waitForFunction(() => {
        const changes = (window as unknown as { __seen: Seen }).__seen.changes;
        return changes.at(-1)?.complete === true;
      });
      await page.evaluate(() => {
        (window as unknown as { __seen: Seen }).__seen.changes.length = 0;
      });
      await frame.locator('input[name=expiry]').fill('');
    }
    await page.close();
  });

  it('works with the keyboard alone, and every field has a label', async () => {
    const { page, frame } = await openCheckout();
    const labels = await frame.evaluate(() =>
      ['number', 'expiry', 'cvc', 'holderName'].map((name) => {
        const input = document.querySelector(`input[name=${name}]`) as HTMLInputElement;
        return { name, label: input.labels?.[0]?.textContent ?? '' };
      }),
    );
    expect(labels).toEqual([
      { name: 'number', label: 'Card number' },
      { name: 'expiry', label: 'Expiry (MM / YY)' },
      { name: 'cvc', label: 'Security code' },
      { name: 'holderName', label: 'Name on card' },
    ]);
    expect(await page.locator('#card iframe').getAttribute('title')).toBeTruthy();

    await page.focus('#before');
    await page.keyboard.press('Tab');
    await page.keyboard.type(CARD);
    await page.keyboard.press('Tab');
    await page.keyboard.type(`12${YY}`);
    await page.keyboard.press('Tab');
    await page.keyboard.type('123');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Grace Hopper');
    expect(await frame.locator('input[name=holderName]').inputValue()).toBe('Grace Hopper');
    expect(await frame.locator('input[name=number]').inputValue()).toBe(CARD);
    // Out of the iframe, onto the page's Pay button, and Enter.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pay');
    await page.keyboard.press('Enter');
    const done = await outcome(page);
    expect(done.ok, JSON.stringify(done)).toBe(true);
    expect(done.result).toMatchObject({ brand: 'visa', last4: '4242' });
    await expectPageBlind(page, CARD);
    await page.close();
  });
});

describe('the demo', () => {
  it('serves a checkout page that tokenizes through the elements; a screenshot goes to test-output/', async () => {
    const page = await browser.newPage({ viewport: { width: 720, height: 900 } });
    await page.goto(`${vault.url}/elements/demo`);
    const frame = await (await page.waitForSelector('#card-element iframe')).contentFrame();
    if (!frame) throw new Error('no card iframe in the demo');
    await frame.waitForSelector('input[name=number]');
    await typeCard(frame, { number: CARD, expiry: `12 / ${YY}`, cvc: '123', name: 'Ada Lovelace' });
    await page.click('#pay');
    await page.waitForSelector('#result:not([hidden])', { timeout: 10_000 });
    const result = JSON.parse((await page.locator('#result').textContent()) ?? '{}');
    expect(result).toMatchObject({ token: expect.stringMatching(/^tok_/), brand: 'visa', last4: '4242' });
    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    const file = path.join(OUTPUT_DIR, 'elements-demo.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
    await page.close();
  });
});
