/** AppotaPay card tokens and charges (docs/appotapay.md). */
import type { GatewayModule } from '../kit/module.ts';
import { credentials } from './credentials.ts';

export const appotapay: GatewayModule<'appotapay'> = {
  id: 'appotapay',
  title: 'AppotaPay',
  prefixes: ['/credit-card/'],
  redactHeaders: ['x-appotapay-auth'],
  settings: [],
  credentials,
  async server() {
    const [{ registerAppotaPay }, { document }] = await Promise.all([import('./routes.ts'), import('./openapi.ts')]);
    return { document, register: (app, deps) => registerAppotaPay(app, deps) };
  },
};
