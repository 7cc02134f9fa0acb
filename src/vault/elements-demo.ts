/**
 * The card elements demo (GET /elements/demo, development only): one merchant and one publishable key for the
 * server's own origins, made at the first start and kept in the settings table, so every start shows the same
 * key. A publishable key is public by design (it sits in every shopper's page), which is why this one key is
 * kept readable; the demo merchant's secret key is never kept.
 */
import { merchantStore } from '../store/merchant-store.ts';
import type { VaultDeps } from './deps.ts';
import type { MerchantService } from './merchants.ts';

const SETTING = 'elements_demo';
const DEMO_NAME = 'Card elements demo';

export interface ElementsDemo {
  merchantId: string;
  keyId: string;
  key: string;
  origins: string[];
}

export function createElementsDemo(deps: Pick<VaultDeps, 'db'>, merchants: MerchantService) {
  const { db } = deps;

  async function read(): Promise<ElementsDemo | null> {
    const text = await merchantStore.getSetting(db, SETTING);
    return text ? (JSON.parse(text) as ElementsDemo) : null;
  }

  return {
    /** The demo's key, when a server has set it up (null before, or once its key or merchant is gone). */
    async current(): Promise<ElementsDemo | null> {
      const demo = await read();
      if (!demo) return null;
      const principal = await merchants.authenticate(demo.key);
      return principal?.type === 'publishable' ? demo : null;
    },

    /** Makes (or keeps) the demo merchant and a publishable key for exactly `origins`; `created` when a new key was made. */
    async ensure(origins: readonly string[]): Promise<ElementsDemo & { created: boolean }> {
      const demo = await read();
      const principal = demo ? await merchants.authenticate(demo.key) : null;
      const same = principal !== null && principal.origins.length === origins.length && origins.every((o) => principal.origins.includes(o));
      if (demo && principal?.type === 'publishable' && same) return { ...demo, created: false };
      let merchantId = principal?.merchantId ?? null;
      if (merchantId === null) merchantId = (await merchants.create({ name: DEMO_NAME }, 'cli')).id;
      const made = await merchants.createPublishableKey(merchantId, origins, 'elements demo', 'cli');
      if (!made.ok) throw new Error(`the demo key could not be made: ${made.detail ?? made.error}`);
      // The key it replaces (the server's address changed) stops working.
      if (demo && principal) await merchants.revokeApiKey(merchantId, demo.keyId, 'cli');
      const next: ElementsDemo = { merchantId, keyId: made.value.id, key: made.value.key, origins: made.value.origins };
      await merchantStore.setSetting(db, SETTING, JSON.stringify(next));
      return { ...next, created: true };
    },
  };
}

export type ElementsDemoService = ReturnType<typeof createElementsDemo>;
