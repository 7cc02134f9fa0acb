/**
 * The gateways this server speaks, one line each. Everything gateway-specific outside a gateway's folder
 * derives from this list: app wiring, the guard's API names and paths, redacted headers, credential
 * provisioning, the admin API's and CLI's key options, settings, the OpenAPI documents, and the tests'
 * per-gateway suites (`Record<GatewayId, …>` makes the compiler name each place a new gateway fills in).
 */
import { alliancepay } from './alliancepay/index.ts';
import { appotapay } from './appotapay/index.ts';
import { cybersource } from './cybersource/index.ts';
import type { GatewayModule } from './kit/module.ts';
import { opay } from './opay/index.ts';
import { twoc2p } from './twoc2p/index.ts';

export const GATEWAYS = [twoc2p, cybersource, alliancepay, opay, appotapay] as const satisfies readonly GatewayModule[];

export type GatewayId = (typeof GATEWAYS)[number]['id'];
export const GATEWAY_IDS: readonly GatewayId[] = GATEWAYS.map((g) => g.id);

export type { GatewayModule } from './kit/module.ts';
