/** Customers and their shipping addresses. */
import { type AuditEvent, appendAudit } from '../audit/log.ts';
import { newId } from '../domain/ids.ts';
import { addressStore } from '../store/address-store.ts';
import { cardSecretStore } from '../store/card-secret-store.ts';
import { cardStore, type InstrumentScope } from '../store/card-store.ts';
import { type CustomerPatch, customerStore } from '../store/customer-store.ts';
import { type Executor, inTransaction } from '../store/db.ts';
import { isUniqueViolation } from '../store/errors.ts';
import { type Cursor, type Page, toPage } from '../store/page.ts';
import type { AddressRow, CustomerRow } from '../store/schema.ts';
import type { Address, Metadata } from './cards.ts';
import { type Caller, iso, parseJson, scopeOf, type VaultDeps } from './deps.ts';
import { fail, succeed, type VaultFailure, type VaultResult } from './errors.ts';

export interface CustomerView {
  id: string;
  customerId: string | null;
  name: string | null;
  email: string | null;
  phone: string | null;
  metadata: Metadata | null;
  defaultCardToken: string | null;
  defaultAddressId: string | null;
  /** Gateway-specific fields a customer keeps (e.g. Cybersource's merchantDefinedInformation). */
  attributes: Record<string, string>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface CustomerInput {
  customerId?: string | null;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  metadata?: Metadata | null;
  /** Replaces the attributes it names; others stay. */
  attributes?: Record<string, string>;
}

export interface AddressView {
  id: string;
  customerId: string;
  address: Address;
  isDefault: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A new customer's row from the API input. */
function draftRow(caller: Caller, input: CustomerInput, at: string, id: string): CustomerRow {
  return {
    id,
    merchant_id: caller.merchantId,
    external_id: input.customerId ?? null,
    name: input.name ?? null,
    email: input.email ?? null,
    phone: input.phone ?? null,
    metadata: input.metadata ? JSON.stringify(input.metadata) : null,
    default_card_id: null,
    default_address_id: null,
    version: 1,
    created_at: at,
    updated_at: at,
    deleted_at: null,
    attributes: input.attributes && Object.keys(input.attributes).length > 0 ? JSON.stringify(input.attributes) : null,
  };
}

/**
 * A customer as `scope` sees it: a default payment instrument that is a bank account is left out for an API
 * that serves none (its token would read as unknown there).
 */
export const customerView = (r: CustomerRow & { default_card_kind?: string | null }, scope: InstrumentScope): CustomerView => ({
  id: r.id,
  customerId: r.external_id,
  name: r.name,
  email: r.email,
  phone: r.phone,
  metadata: parseJson<Metadata>(r.metadata),
  defaultCardToken: scope === 'cards' && r.default_card_kind === 'bank' ? null : r.default_card_id,
  defaultAddressId: r.default_address_id,
  attributes: parseJson<Record<string, string>>(r.attributes) ?? {},
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const addressView = (r: AddressRow, defaultId: string | null): AddressView => ({
  id: r.id,
  customerId: r.customer_id,
  address: JSON.parse(r.address) as Address,
  isDefault: r.id === defaultId,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const duplicate = (): VaultFailure =>
  fail('duplicate_customer_id', 'another customer already has this customerId', [
    { field: 'customerId', code: 'duplicate', message: 'customerId must be unique among your customers' },
  ]);

function toPatch(input: CustomerInput, current: CustomerRow): CustomerPatch {
  const patch: CustomerPatch = {};
  if (input.attributes !== undefined) {
    patch.attributes = JSON.stringify({ ...(parseJson<Record<string, string>>(current.attributes) ?? {}), ...input.attributes });
  }
  if (input.customerId !== undefined) patch.external_id = input.customerId;
  if (input.name !== undefined) patch.name = input.name;
  if (input.email !== undefined) patch.email = input.email;
  if (input.phone !== undefined) patch.phone = input.phone;
  if (input.metadata !== undefined) patch.metadata = input.metadata ? JSON.stringify(input.metadata) : null;
  return patch;
}

export function createCustomerService(deps: VaultDeps) {
  const { db } = deps;

  async function optimistic<T>(work: (tx: Executor) => Promise<VaultResult<T> | 'retry'>): Promise<VaultResult<T>> {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const outcome = await inTransaction(db, work);
        if (outcome !== 'retry') return outcome;
      } catch (e) {
        if (isUniqueViolation(e)) return duplicate();
        throw e;
      }
    }
    return fail('version_mismatch', 'the record is being changed concurrently; retry');
  }

  /** The live customer, at the caller's If-Match version when one was given. */
  async function currentAt(tx: Executor, merchantId: string, id: string, ifMatch: number | null): Promise<VaultResult<CustomerRow>> {
    const row = await customerStore.get(tx, merchantId, id);
    if (!row) return fail('customer_not_found', 'no such customer');
    if (ifMatch !== null && ifMatch !== row.version) return fail('version_mismatch', 'the customer was changed since you read it');
    return succeed(row);
  }

  const audit = (tx: Executor, caller: Caller, action: string, target: string, at: string, detail?: AuditEvent['detail']) =>
    appendAudit(tx, { merchantId: caller.merchantId, actor: caller.actor, action, target, ...(detail ? { detail } : {}) }, at);

  return {
    /** `opts.id` draws the id in the format of the API that creates the customer (DESIGN §3). */
    /** A customer row not yet stored: for a use case that creates it in its own transaction (cards.tokenize). */
    draft(caller: Caller, input: CustomerInput): CustomerRow {
      return draftRow(caller, input, iso(deps.now()), newId('cus'));
    },

    /** The live customer with the merchant's own reference, if any. */
    async findByCustomerId(caller: Caller, customerId: string): Promise<CustomerView | null> {
      const row = await customerStore.findByExternalId(db, caller.merchantId, customerId);
      return row ? customerView(row, scopeOf(caller)) : null;
    },

    async create(caller: Caller, input: CustomerInput, opts: { id?: () => string } = {}): Promise<VaultResult<CustomerView>> {
      const at = iso(deps.now());
      const row = draftRow(caller, input, at, opts.id ? opts.id() : newId('cus'));
      try {
        await inTransaction(db, async (tx) => {
          await customerStore.insert(tx, row);
          await audit(tx, caller, 'customer.create', row.id, at);
        });
      } catch (e) {
        if (isUniqueViolation(e)) return duplicate();
        throw e;
      }
      return succeed(customerView(row, scopeOf(caller)));
    },
    /**
     * The live customer with the merchant's own reference `customerId`, made on first sight (gateway
     * APIs name customers only by that reference). A concurrent first sight resolves to one customer.
     */
    async findOrCreate(caller: Caller, input: CustomerInput & { customerId: string }): Promise<VaultResult<CustomerView>> {
      const find = () => customerStore.findByExternalId(db, caller.merchantId, input.customerId);
      const existing = await find();
      if (existing) return succeed(customerView(existing, scopeOf(caller)));
      const made = await this.create(caller, input);
      if (made.ok) return made;
      const theirs = await find();
      return theirs ? succeed(customerView(theirs, scopeOf(caller))) : made;
    },

    async get(caller: Caller, id: string): Promise<VaultResult<CustomerView>> {
      const { merchantId } = caller;
      const row = await customerStore.get(db, merchantId, id);
      return row ? succeed(customerView(row, scopeOf(caller))) : fail('customer_not_found', 'no such customer');
    },

    async list(caller: Caller, opts: { after: Cursor | null; limit: number; customerId: string | null }): Promise<Page<CustomerView>> {
      const { merchantId } = caller;
      if (opts.customerId !== null) {
        // Search by the merchant's own id: at most one live customer has it.
        const row = await customerStore.findByExternalId(db, merchantId, opts.customerId);
        return { items: row ? [customerView(row, scopeOf(caller))] : [], nextCursor: null };
      }
      const rows = await customerStore.list(db, merchantId, { after: opts.after, limit: opts.limit + 1 });
      return toPage(rows, opts.limit, (r) => customerView(r, scopeOf(caller)));
    },

    async update(caller: Caller, id: string, input: CustomerInput, ifMatch: number | null): Promise<VaultResult<CustomerView>> {
      const { merchantId } = caller;
      return optimistic(async (tx) => {
        const current = await currentAt(tx, merchantId, id, ifMatch);
        if (!current.ok) return current;
        const row = current.value;
        const at = iso(deps.now());
        if (!(await customerStore.update(tx, merchantId, id, row.version, toPatch(input, row), at))) {
          return ifMatch !== null ? fail('version_mismatch', 'the customer was changed since you read it') : 'retry';
        }
        await audit(tx, caller, 'customer.update', id, at, { fields: Object.keys(input).join(',') });
        return succeed(customerView((await customerStore.get(tx, merchantId, id)) as CustomerRow, scopeOf(caller)));
      });
    },

    /** Deletes the customer, its addresses, and every card it holds (their PANs are wiped when orphaned). */
    async delete(caller: Caller, id: string, ifMatch: number | null): Promise<VaultResult<CustomerView>> {
      const { merchantId } = caller;
      return optimistic(async (tx) => {
        const current = await currentAt(tx, merchantId, id, ifMatch);
        if (!current.ok) return current;
        const row = current.value;
        const at = iso(deps.now());
        const cards = await cardStore.liveCardIdsOfCustomer(tx, merchantId, id);
        for (const card of cards) {
          if (!(await cardStore.updateCard(tx, merchantId, card.id, card.version, { status: 'DELETED' }, at))) return 'retry';
          await cardStore.wipePanIfOrphaned(tx, card.instrument_id);
          await cardSecretStore.delete(tx, card.id);
          deps.scrubber.wiped(['card_secrets']);
          await audit(tx, caller, 'card.delete', card.id, at, { reason: 'customer deleted' });
        }
        await audit(tx, caller, 'customer.delete', id, at, { cardsDeleted: cards.length });
        await addressStore.deleteAllOfCustomer(tx, merchantId, id);
        await customerStore.markDeleted(tx, merchantId, id, at);
        return succeed({ ...customerView(row, scopeOf(caller)), defaultCardToken: null, defaultAddressId: null, updatedAt: at });
      });
    },

    async createAddress(
      caller: Caller,
      customerId: string,
      address: Address,
      makeDefault: boolean,
      opts: { id?: () => string } = {},
    ): Promise<VaultResult<AddressView>> {
      const { merchantId } = caller;
      const at = iso(deps.now());
      const row: AddressRow = {
        id: opts.id ? opts.id() : newId('adr'),
        merchant_id: merchantId,
        customer_id: customerId,
        address: JSON.stringify(address),
        version: 1,
        created_at: at,
        updated_at: at,
      };
      return inTransaction(db, async (tx) => {
        const customer = await customerStore.get(tx, merchantId, customerId);
        if (!customer) return fail('customer_not_found', 'no such customer');
        await addressStore.insert(tx, row);
        // The first address becomes the default, as with cards. The `is null` guard decides races between
        // concurrent first addresses inside the database, where only one update can match.
        const became = await customerStore.setDefaultAddress(tx, customerId, row.id, !makeDefault);
        await audit(tx, caller, 'address.create', row.id, at, { customer: customerId });
        return succeed(addressView(row, became ? row.id : null));
      });
    },

    async getAddress(caller: Caller, customerId: string, id: string): Promise<VaultResult<AddressView>> {
      const { merchantId } = caller;
      const customer = await customerStore.get(db, merchantId, customerId);
      if (!customer) return fail('customer_not_found', 'no such customer');
      const row = await addressStore.get(db, merchantId, customerId, id);
      return row ? succeed(addressView(row, customer.default_address_id)) : fail('address_not_found', 'no such address');
    },

    async listAddresses(
      caller: Caller,
      customerId: string,
      opts: { after: Cursor | null; limit: number },
    ): Promise<VaultResult<Page<AddressView>>> {
      const { merchantId } = caller;
      const customer = await customerStore.get(db, merchantId, customerId);
      if (!customer) return fail('customer_not_found', 'no such customer');
      const rows = await addressStore.list(db, merchantId, customerId, { after: opts.after, limit: opts.limit + 1 });
      return succeed(toPage(rows, opts.limit, (r) => addressView(r, customer.default_address_id)));
    },

    async updateAddress(
      caller: Caller,
      customerId: string,
      id: string,
      change: { address?: Address; makeDefault?: boolean },
      ifMatch: number | null,
    ): Promise<VaultResult<AddressView>> {
      const { merchantId } = caller;
      return optimistic(async (tx) => {
        const customer = await customerStore.get(tx, merchantId, customerId);
        if (!customer) return fail('customer_not_found', 'no such customer');
        const row = await addressStore.get(tx, merchantId, customerId, id);
        if (!row) return fail('address_not_found', 'no such address');
        if (ifMatch !== null && ifMatch !== row.version) return fail('version_mismatch', 'the address was changed since you read it');
        const at = iso(deps.now());
        if (change.address) {
          const merged = JSON.stringify(change.address);
          if (!(await addressStore.update(tx, merchantId, id, row.version, merged, at))) {
            return ifMatch !== null ? fail('version_mismatch', 'the address was changed since you read it') : 'retry';
          }
        }
        let defaultId = customer.default_address_id;
        if (change.makeDefault !== undefined) {
          const next = change.makeDefault ? id : defaultId === id ? null : defaultId;
          if (next !== defaultId) {
            await customerStore.setDefaultAddress(tx, customerId, next);
            defaultId = next;
          }
        }
        await audit(tx, caller, 'address.update', id, at, { customer: customerId });
        return succeed(addressView((await addressStore.get(tx, merchantId, customerId, id)) as AddressRow, defaultId));
      });
    },

    /**
     * Addresses by position (APIs with offset paging, e.g. Cybersource TMS), with the total count.
     */
    async listAddressesAt(
      caller: Caller,
      customerId: string,
      offset: number,
      limit: number,
    ): Promise<VaultResult<{ items: AddressView[]; total: number }>> {
      const { merchantId } = caller;
      const customer = await customerStore.get(db, merchantId, customerId);
      if (!customer) return fail('customer_not_found', 'no such customer');
      const [rows, total] = await Promise.all([
        addressStore.listAt(db, merchantId, customerId, offset, limit),
        addressStore.count(db, merchantId, customerId),
      ]);
      return succeed({ items: rows.map((r) => addressView(r, customer.default_address_id)), total });
    },

    /**
     * `keepDefault`: the customer's default address cannot go while it has others (Cybersource's rule);
     * checked in the deleting transaction.
     */
    async deleteAddress(
      caller: Caller,
      customerId: string,
      id: string,
      opts: { keepDefault?: boolean } = {},
    ): Promise<VaultResult<AddressView>> {
      const { merchantId } = caller;
      return inTransaction(db, async (tx) => {
        const customer = await customerStore.get(tx, merchantId, customerId);
        if (!customer) return fail('customer_not_found', 'no such customer');
        const row = await addressStore.get(tx, merchantId, customerId, id);
        if (!row) return fail('address_not_found', 'no such address');
        if (opts.keepDefault && customer.default_address_id === id && (await addressStore.count(tx, merchantId, customerId)) > 1) {
          return fail('default_in_use', 'the default address cannot be deleted while the customer has others');
        }
        await addressStore.delete(tx, merchantId, id);
        if (customer.default_address_id === id) {
          await customerStore.setDefaultAddress(tx, customerId, null);
        }
        await audit(tx, caller, 'address.delete', id, iso(deps.now()), { customer: customerId });
        return succeed(addressView(row, customer.default_address_id));
      });
    },
  };
}

export type CustomerService = ReturnType<typeof createCustomerService>;
