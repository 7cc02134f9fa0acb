/** Every gateway in GATEWAYS keeps the gateway contract (contract.ts); the compiler asks for a driver for each. */
import type { GatewayId } from '../../src/api/gateways/index.ts';
import { GATEWAY_IDS } from '../../src/api/gateways/index.ts';
import { type GatewayDriver, gatewayContract } from './contract.ts';

const DRIVERS: Record<GatewayId, () => Promise<GatewayDriver>> = {
  twoc2p: async () => (await import('./twoc2p/driver.ts')).driver,
  cybersource: async () => (await import('./cybersource/driver.ts')).driver,
  alliancepay: async () => (await import('./alliancepay/driver.ts')).driver,
  opay: async () => (await import('./opay/driver.ts')).driver,
  appotapay: async () => (await import('./appotapay/driver.ts')).driver,
};

for (const id of GATEWAY_IDS) gatewayContract(id, DRIVERS[id]);
