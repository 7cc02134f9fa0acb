/** AlliancePay tokens and payments over virtual-device sessions (docs/alliancepay.md). */
import type { GatewayModule } from '../kit/module.ts';
import { credentials } from './credentials.ts';

export const alliancepay: GatewayModule<'alliancepay'> = {
  id: 'alliancepay',
  title: 'AlliancePay',
  prefixes: ['/api-gateway/', '/ecom/'],
  redactHeaders: ['x-refresh_token'],
  settings: [
    {
      key: 'sessionSeconds',
      env: 'TOKENVAULT_ALLIANCEPAY_SESSION_SECONDS',
      default: 3600,
      min: 60,
      max: 86400,
      description: 'How long an AlliancePay virtual-device session lasts',
    },
    {
      key: 'maxSessions',
      env: 'TOKENVAULT_ALLIANCEPAY_MAX_SESSIONS',
      default: 1000,
      min: 1,
      max: 100_000,
      description: 'Live AlliancePay sessions per merchant; opening one more ends the oldest',
    },
  ],
  credentials,
  async server() {
    const [{ registerAlliancePay }, { document }] = await Promise.all([import('./routes.ts'), import('./openapi.ts')]);
    return { document, register: (app, deps) => registerAlliancePay(app, deps) };
  },
};
