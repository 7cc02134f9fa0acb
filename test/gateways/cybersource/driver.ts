/** cybersource's side of the gateway contract (../contract.ts): to be written with the gateway's restructuring. */
import type { GatewayDriver } from '../contract.ts';

export const driver: GatewayDriver = (() => {
  throw new Error('the cybersource contract driver is not written yet');
})();
