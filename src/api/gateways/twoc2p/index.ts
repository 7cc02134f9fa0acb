/** 2C2P customer tokens (docs/twoc2p.md). */
import type { GatewayModule } from '../kit/module.ts';
import { credentials } from './credentials.ts';

export const twoc2p: GatewayModule<'twoc2p'> = {
  id: 'twoc2p',
  title: '2C2P',
  prefixes: ['/customertoken/'],
  redactHeaders: [],
  settings: [],
  credentials,
  async server() {
    const [{ registerTwoc2p }, { document }] = await Promise.all([import('./routes.ts'), import('./openapi.ts')]);
    return { document, register: (app, deps) => registerTwoc2p(app, deps) };
  },
};
