/** Cybersource Token Management (TMS) and the payments that use its tokens (PTS) (docs/cybersource.md). */
import type { GatewayModule } from '../kit/module.ts';
import { credentials } from './credentials.ts';

export const cybersource: GatewayModule<'cybersource'> = {
  id: 'cybersource',
  title: 'Cybersource',
  prefixes: ['/tms/', '/pts/'],
  redactHeaders: ['signature', 'authorization'],
  settings: [
    {
      key: 'skewSeconds',
      env: 'TOKENVAULT_CYBERSOURCE_SKEW_SECONDS',
      default: 300,
      min: 1,
      max: 3600,
      description: 'How far a Cybersource request date or JWT iat may be from the server clock',
    },
  ],
  credentials,
  async server() {
    const [{ registerCybersource }, { document }] = await Promise.all([import('./routes.ts'), import('./openapi.ts')]);
    return {
      document,
      register: (app, deps) => registerCybersource(app, { ...deps, skewSeconds: deps.settings.skewSeconds ?? 300 }),
    };
  },
};
