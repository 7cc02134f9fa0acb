/** Vault views → native wire shapes (the response schemas then drop anything undeclared). */
import { brandNames, maskPan, visibleBin } from '../../domain/card.ts';
import type { CardView } from '../../vault/cards.ts';
import type { AddressView, CustomerView } from '../../vault/customers.ts';

export const presentCard = (c: CardView, instrumentCreated?: boolean) => ({
  token: c.token,
  object: 'card' as const,
  customer: c.customerId,
  status: c.status,
  usage: c.usage,
  brand: brandNames(c.brand).lower,
  funding: c.funding.toLowerCase(),
  bin: visibleBin({ bin6: c.bin6, length: c.panLength }),
  last4: c.last4,
  maskedNumber: maskPan({ bin6: c.bin6, last4: c.last4, length: c.panLength }, '*'),
  expMonth: c.expiry.month,
  expYear: c.expiry.year,
  holderName: c.holderName,
  billingAddress: c.billingAddress,
  isDefault: c.isDefault,
  metadata: c.metadata,
  instrumentIdentifier: instrumentCreated === undefined ? { id: c.instrumentId } : { id: c.instrumentId, new: instrumentCreated },
  version: c.version,
  createdAt: c.createdAt,
  updatedAt: c.updatedAt,
});

export const presentCustomer = (c: CustomerView) => ({
  id: c.id,
  object: 'customer' as const,
  customerId: c.customerId,
  name: c.name,
  email: c.email,
  phone: c.phone,
  metadata: c.metadata,
  defaultCard: c.defaultCardToken,
  defaultAddress: c.defaultAddressId,
  version: c.version,
  createdAt: c.createdAt,
  updatedAt: c.updatedAt,
});

export const presentAddress = (a: AddressView) => ({
  id: a.id,
  object: 'address' as const,
  customer: a.customerId,
  address: a.address,
  isDefault: a.isDefault,
  version: a.version,
  createdAt: a.createdAt,
  updatedAt: a.updatedAt,
});

export const list = <T>(data: T[], nextCursor: string | null) => ({ object: 'list' as const, data, nextCursor });
