/** OPay international card tokens (docs/opay.md). */
import type { GatewayModule } from '../kit/module.ts';
import { credentials } from './credentials.ts';

export const opay: GatewayModule<'opay'> = {
  id: 'opay',
  title: 'OPay',
  prefixes: ['/api/v1/international/'],
  redactHeaders: ['authorization'],
  settings: [],
  credentials,
  async server() {
    const [{ registerOpay }, { document }] = await Promise.all([import('./routes.ts'), import('./openapi.ts')]);
    return { document, register: (app, deps) => registerOpay(app, deps) };
  },
};
