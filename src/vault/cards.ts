/**
 * Cards (payment instruments, i.e. tokens): tokenize, read masked, list, update, change status, delete.
 * The PAN is encrypted once per merchant in an instrument identifier found by keyed fingerprint, so the
 * same card tokenized twice (through any API) shares one identifier.
 */
import { randomBytes } from 'node:crypto';
import { appendAudit } from '../audit/log.ts';
import { dataKeyVersion } from '../crypto/keyring.ts';
import { createWindowKeyring } from '../crypto/window-keys.ts';
import { type Brand, binInfo, cvvValid, type Expiry, type Funding, isExpired, isTooFarInFuture, parsePan } from '../domain/card.ts';
import { instrumentIdentifierId } from '../domain/ids.ts';
import { effectiveStatus, type Status, type StoredStatus, transition, type Usage } from '../domain/lifecycle.ts';
import { containsCardNumber } from '../domain/pan-detector.ts';
import { cardSecretStore } from '../store/card-secret-store.ts';
import { type CardPatch, type CardWithInstrument, cardStore } from '../store/card-store.ts';
import { customerStore } from '../store/customer-store.ts';
import { type Executor, inTransaction } from '../store/db.ts';
import { HELD_CVV, PAN } from '../store/encrypted-fields.ts';
import { isUniqueViolation } from '../store/errors.ts';
import { type Cursor, type Page, toPage } from '../store/page.ts';
import type { CardRow, CustomerRow, InstrumentRow } from '../store/schema.ts';
import { windowKeyStore } from '../store/window-key-store.ts';
import { type Caller, iso, parseJson, type VaultDeps } from './deps.ts';
import { fail, succeed, type VaultResult } from './errors.ts';
import { claimInTransaction, claimNow, isReferenceTaken, type ReferenceClaim, ReferenceTaken, releaseClaim } from './references.ts';

export interface Address {
  firstName?: string;
  lastName?: string;
  company?: string;
  line1?: string;
  line2?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  country?: string;
  email?: string;
  phone?: string;
}

export type Metadata = Record<string, string>;

export interface CardView {
  token: string;
  merchantId: string;
  instrumentId: string;
  customerId: string | null;
  expiry: Expiry;
  holderName: string | null;
  billingAddress: Address | null;
  usage: Usage;
  status: Status;
  storedStatus: StoredStatus;
  metadata: Metadata | null;
  /** Gateway-specific fields a token keeps (e.g. 2C2P's accountIssuer); never card data. */
  attributes: Record<string, string>;
  isDefault: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
  bin6: string;
  bin8: string | null;
  last4: string;
  panLength: number;
  brand: Brand;
  funding: Funding;
}

export interface InstrumentView {
  id: string;
  bin6: string;
  bin8: string | null;
  last4: string;
  panLength: number;
  brand: Brand;
  funding: Funding;
  /** False once its card number was destroyed (deleted, or its last card deleted). */
  available: boolean;
  attributes: Record<string, string>;
  createdAt: string;
}

const instrumentView = (r: InstrumentRow): InstrumentView => ({
  id: r.id,
  bin6: r.bin6,
  bin8: r.bin8,
  last4: r.last4,
  panLength: r.pan_length,
  brand: r.brand as Brand,
  funding: r.funding as Funding,
  available: r.pan_ct !== null,
  attributes: parseJson<Record<string, string>>(r.attributes) ?? {},
  createdAt: r.created_at,
});

export interface TokenizeInput {
  /**
   * A customer to create with the card, in its transaction (customers.draft), unless a live one with its
   * external id exists by then; `customerId` is ignored when this is given.
   */
  newCustomer?: CustomerRow;
  /** A merchant reference claimed in the card's own transaction (fails with reference_taken if used). */
  claim?: ReferenceClaim;
  /** The card number, or `instrumentId`: one the vault already holds. */
  pan?: string;
  instrumentId?: string;
  expiry: Expiry;
  holderName?: string | null;
  billingAddress?: Address | null;
  customerId?: string | null;
  usage?: Usage;
  makeDefault?: boolean;
  metadata?: Metadata | null;
  attributes?: Record<string, string>;
  /** Held encrypted until the first payment takes it, or its TTL ends (PCI DSS 3.3.1.2). */
  cvv?: string;
  /** The API that creates the token decides its string's format (DESIGN §3). */
  newToken?: () => string;
}

export interface CardUpdate {
  expiry?: Expiry;
  holderName?: string | null;
  billingAddress?: Address | null;
  metadata?: Metadata | null;
  makeDefault?: boolean;
  /** Replaces the gateway attributes it names; others stay. */
  attributes?: Record<string, string>;
}

/** A CVV taken for its one use, with the expiry it had. */
export interface HeldCvv {
  cvv: string;
  expiresAt: string;
}

export const nativeToken = (): string => `tok_${randomBytes(18).toString('base64url')}`;

const panAad = PAN.aad;
const cvvAad = HELD_CVV.aad;

/**
 * Held CVVs are sealed under window keys of this length: a CVV is unrecoverable (its key destroyed) at most
 * one window after its TTL ends, and a TTL spans at most TTL / window + 1 keys.
 */
export const cvvWindowMs = (ttlMs: number): number => Math.max(1000, Math.min(60_000, ttlMs));

/** A new instrument identifier row: the encrypted PAN, its fingerprint and display fields. */
function instrumentRow(
  merchantId: string,
  id: string,
  fingerprint: { value: string; version: number },
  panCt: string,
  info: ReturnType<typeof binInfo>,
  at: string,
  retained: boolean,
): InstrumentRow {
  return {
    id,
    merchant_id: merchantId,
    fingerprint: fingerprint.value,
    fp_version: fingerprint.version,
    pan_ct: panCt,
    bin6: info.bin6,
    bin8: info.bin8,
    last4: info.last4,
    pan_length: info.length,
    brand: info.brand,
    funding: info.funding,
    created_at: at,
    key_version: dataKeyVersion(panCt),
    attributes: null,
    retained: retained ? 1 : 0,
  };
}

export function createCardService(deps: VaultDeps) {
  const { db, keyring, scrubber } = deps;
  const cvvKeys = createWindowKeyring({
    master: deps.master,
    source: {
      find: (id) => windowKeyStore.find(db, id),
      create: (id, wrapped, endsAt) => windowKeyStore.create(db, id, wrapped, iso(endsAt), iso(deps.now())),
    },
    windowMs: cvvWindowMs(deps.cvvTtlMs),
    now: deps.now,
  });
  /** The security code as stored: sealed under the window key of its expiry. */
  const sealCvv = (merchantId: string, token: string, cvv: string, expiresAt: string) =>
    cvvKeys.seal(cvvAad(merchantId, token), cvv, new Date(expiresAt));

  function view(row: CardWithInstrument, defaultCardId: string | null): CardView {
    const expiry = { month: row.exp_month, year: row.exp_year };
    return {
      token: row.id,
      merchantId: row.merchant_id,
      instrumentId: row.instrument_id,
      customerId: row.customer_id,
      expiry,
      holderName: row.holder_name,
      billingAddress: parseJson<Address>(row.billing_address),
      usage: row.usage as Usage,
      status: effectiveStatus(row.status as StoredStatus, expiry, deps.now()),
      storedStatus: row.status as StoredStatus,
      metadata: parseJson<Metadata>(row.metadata),
      attributes: parseJson<Record<string, string>>(row.attributes) ?? {},
      isDefault: defaultCardId !== null && defaultCardId === row.id,
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      bin6: row.bin6,
      bin8: row.bin8,
      last4: row.last4,
      panLength: row.pan_length,
      brand: row.brand as Brand,
      funding: row.funding as Funding,
    };
  }

  async function defaultOf(q: Executor, merchantId: string, customerId: string | null): Promise<string | null> {
    if (customerId === null) return null;
    return (await customerStore.get(q, merchantId, customerId))?.default_card_id ?? null;
  }

  function checkExpiry(expiry: Expiry): VaultResult<null> {
    const now = deps.now();
    if (isExpired(expiry, now))
      return fail('card_expired', 'the card has expired', [{ field: 'expiry', code: 'card_expired', message: 'expiry is in the past' }]);
    if (isTooFarInFuture(expiry, now))
      return fail('invalid_expiry', 'the expiry is too far in the future', [
        { field: 'expiry', code: 'expiry_year', message: 'expiry is more than 20 years ahead' },
      ]);
    return succeed(null);
  }

  /**
   * A holder name is stored and shown in clear: a card number typed into it (in any spelling the detector
   * knows: separators, percent-encoding) would be a PAN outside the encryption.
   */
  function checkHolderName(name: string | null | undefined): VaultResult<null> {
    if (typeof name !== 'string' || !containsCardNumber(name)) return succeed(null);
    return fail('validation_failed', 'the holder name may not contain a card number', [
      { field: 'holderName', code: 'contains_card_number', message: 'may not contain a card number' },
    ]);
  }

  function checkCard(input: { pan: string; expiry: Expiry; cvv?: string }): VaultResult<{ pan: string; info: ReturnType<typeof binInfo> }> {
    const pan = parsePan(input.pan);
    if (!pan.ok) {
      return fail('invalid_card_number', 'the card number is not valid', [
        { field: 'number', code: pan.error, message: panMessage(pan.error) },
      ]);
    }
    const expiryCheck = checkExpiry(input.expiry);
    if (!expiryCheck.ok) return expiryCheck;
    const info = binInfo(pan.value);
    if (input.cvv !== undefined && !cvvValid(info.brand, input.cvv)) {
      const digits = info.brand === 'AMEX' ? 4 : 3;
      return fail('invalid_cvv', `the security code must be ${digits} digits for this card`, [
        { field: 'cvv', code: 'cvv_format', message: `${digits} digits` },
      ]);
    }
    return succeed({ pan: pan.value, info });
  }

  return {
    /**
     * The card checks of tokenize, on their own: an API that must create other records first (a customer)
     * checks the card before writing anything.
     */
    checkCard,

    async tokenize(caller: Caller, input: TokenizeInput): Promise<VaultResult<{ card: CardView; instrumentCreated: boolean }>> {
      const { merchantId } = caller;
      const named = checkHolderName(input.holderName);
      if (!named.ok) return named;
      let pan: string | null = null;
      let info: ReturnType<typeof binInfo> | null = null;
      if (input.instrumentId !== undefined) {
        // A new token for a card the vault already holds (Cybersource: a payment instrument made from an
        // instrument identifier): the card number is not sent again.
        const expiryCheck = checkExpiry(input.expiry);
        if (!expiryCheck.ok) return expiryCheck;
        const existing = await cardStore.getInstrument(db, merchantId, input.instrumentId);
        if (!existing) return fail('instrument_not_found', 'no such instrument identifier');
        if (existing.pan_ct === null) return fail('instrument_gone', 'the instrument identifier was deleted');
        if (input.cvv !== undefined && !cvvValid(existing.brand as Brand, input.cvv)) {
          return fail('invalid_cvv', 'the security code is not valid for this card', [
            { field: 'cvv', code: 'cvv_format', message: '3 or 4 digits' },
          ]);
        }
      } else {
        const checked = checkCard({ pan: input.pan ?? '', expiry: input.expiry, ...(input.cvv !== undefined ? { cvv: input.cvv } : {}) });
        if (!checked.ok) return checked;
        pan = checked.value.pan;
        info = checked.value.info;
      }
      // All crypto before the transaction: it may load keys, and nothing slow should hold a write lock.
      const fingerprint = pan === null ? null : await keyring.fingerprint(merchantId, pan);
      const at = iso(deps.now());
      let token = '';
      let result: VaultResult<{ instrumentCreated: boolean; defaultCardId: string | null; row: CardWithInstrument }> | undefined;
      for (let attempt = 0; result === undefined; attempt++) {
        token = (input.newToken ?? nativeToken)();
        const candidateId = instrumentIdentifierId();
        const candidateCt = pan === null ? null : await keyring.encrypt(merchantId, panAad(merchantId, candidateId), pan);
        const cvvExpires = new Date(Date.parse(at) + deps.cvvTtlMs).toISOString();
        const cvvCt = input.cvv === undefined ? null : await sealCvv(merchantId, token, input.cvv, cvvExpires);
        try {
          result = await inTransaction(
            db,
            async (tx): Promise<VaultResult<{ instrumentCreated: boolean; defaultCardId: string | null; row: CardWithInstrument }>> => {
              let defaultCardId: string | null = null;
              let customerId = input.customerId ?? null;
              const fresh = input.newCustomer;
              if (fresh) {
                // The gateway's customer is made with its first card, in one commit: never one without the other.
                const seen = fresh.external_id ? await customerStore.findByExternalId(tx, merchantId, fresh.external_id) : undefined;
                if (seen) {
                  customerId = seen.id;
                  defaultCardId = seen.default_card_id;
                } else {
                  await customerStore.insert(tx, { ...fresh, created_at: at, updated_at: at });
                  await appendAudit(tx, { merchantId, actor: caller.actor, action: 'customer.create', target: fresh.id }, at);
                  customerId = fresh.id;
                }
              } else if (customerId !== null) {
                const customer = await customerStore.get(tx, merchantId, customerId);
                if (!customer) return fail('customer_not_found', 'no such customer');
                defaultCardId = customer.default_card_id;
              }
              let instrument: InstrumentRow;
              let created = false;
              if (pan === null || info === null || fingerprint === null || candidateCt === null) {
                const existing = await cardStore.getInstrument(tx, merchantId, input.instrumentId as string);
                if (!existing) return fail('instrument_not_found', 'no such instrument identifier');
                if (existing.pan_ct === null) return fail('instrument_gone', 'the instrument identifier was deleted');
                instrument = existing;
              } else {
                const upserted = await cardStore.upsertInstrument(
                  tx,
                  instrumentRow(merchantId, candidateId, fingerprint, candidateCt, info, at, false),
                );
                instrument = upserted.row;
                created = upserted.created;
                if (!created && instrument.pan_ct === null) {
                  // The identifier's PAN was wiped when its last card was deleted: the card is back, store it again.
                  const ct = await keyring.encrypt(merchantId, panAad(merchantId, instrument.id), pan);
                  await cardStore.setInstrumentPan(tx, instrument.id, ct, dataKeyVersion(ct));
                }
              }
              const cardRow: CardRow = {
                id: token,
                merchant_id: merchantId,
                instrument_id: instrument.id,
                customer_id: customerId,
                exp_month: input.expiry.month,
                exp_year: input.expiry.year,
                holder_name: input.holderName ?? null,
                billing_address: input.billingAddress ? JSON.stringify(input.billingAddress) : null,
                usage: input.usage ?? 'MULTIPLE',
                status: 'ACTIVE',
                metadata: input.metadata ? JSON.stringify(input.metadata) : null,
                version: 1,
                created_at: at,
                updated_at: at,
                attributes: input.attributes && Object.keys(input.attributes).length > 0 ? JSON.stringify(input.attributes) : null,
              };
              await cardStore.insertCard(tx, cardRow);
              if (cvvCt !== null) {
                await cardSecretStore.insert(tx, { card_id: token, merchant_id: merchantId, cvv_ct: cvvCt, expires_at: cvvExpires });
              }
              if (customerId !== null && (input.makeDefault || defaultCardId === null)) {
                // `is null` lets the database pick one winner among concurrent first cards.
                if (await customerStore.setDefaultCard(tx, customerId, token, !input.makeDefault)) defaultCardId = token;
              }
              await appendAudit(
                tx,
                {
                  merchantId,
                  actor: caller.actor,
                  action: 'card.create',
                  target: token,
                  detail: { instrument: instrument.id, instrumentNew: created },
                },
                at,
              );
              if (input.claim) await claimInTransaction(tx, merchantId, input.claim, at);
              const row: CardWithInstrument = {
                ...cardRow,
                bin6: instrument.bin6,
                bin8: instrument.bin8,
                last4: instrument.last4,
                pan_length: instrument.pan_length,
                brand: instrument.brand,
                funding: instrument.funding,
              };
              return succeed({ instrumentCreated: created, defaultCardId, row });
            },
          );
        } catch (e) {
          if (e instanceof ReferenceTaken) return fail('reference_taken', 'the reference was already used');
          // A token string drawn twice (short formats such as 2C2P's 18 digits): draw again.
          if (attempt < 4 && isUniqueViolation(e)) continue;
          throw e;
        }
      }
      if (!result.ok) return result;
      // Answered from what was written, not read back: after the commit nothing may fail the request.
      return succeed({ card: view(result.value.row, result.value.defaultCardId), instrumentCreated: result.value.instrumentCreated });
    },

    async get(caller: Caller, token: string): Promise<VaultResult<CardView>> {
      const { merchantId } = caller;
      const row = await cardStore.getCard(db, merchantId, token);
      if (!row) return fail('card_not_found', 'no such card');
      return succeed(view(row, await defaultOf(db, merchantId, row.customer_id)));
    },

    async list(
      caller: Caller,
      opts: { customerId: string | null; after: Cursor | null; limit: number; includeDeleted?: boolean },
    ): Promise<VaultResult<Page<CardView>>> {
      const { merchantId } = caller;
      let defaultCardId: string | null = null;
      if (opts.customerId !== null) {
        const customer = await customerStore.get(db, merchantId, opts.customerId);
        if (!customer) return fail('customer_not_found', 'no such customer');
        defaultCardId = customer.default_card_id;
      }
      const rows = await cardStore.listCards(db, merchantId, {
        ...opts,
        limit: opts.limit + 1,
        includeDeleted: opts.includeDeleted ?? false,
      });
      return succeed(toPage(rows, opts.limit, (r) => view(r, defaultCardId)));
    },

    /** Every card of a customer (not deleted), oldest first: for APIs that answer with the whole set. */
    async allOfCustomer(caller: Caller, customerId: string): Promise<VaultResult<CardView[]>> {
      const out: CardView[] = [];
      let after: Cursor | null = null;
      for (;;) {
        const page = await this.list(caller, { customerId, after, limit: 100 });
        if (!page.ok) return page;
        out.push(...page.value.items);
        const last = page.value.items[page.value.items.length - 1];
        if (!page.value.nextCursor || !last) return succeed(out);
        after = { createdAt: last.createdAt, id: last.token };
      }
    },

    /**
     * Which merchant holds a token, for the one API (AppotaPay) whose contract answers "another merchant's
     * token" differently from "no such token". Tokens are unguessable; nothing about the card is returned.
     */
    async ownerOf(token: string): Promise<string | null> {
      return cardStore.ownerOf(db, token);
    },

    /** Live cards of a customer or of an instrument identifier by position (offset paging), with the total. */
    async listAt(
      caller: Caller,
      of: { customerId?: string; instrumentId?: string },
      offset: number,
      limit: number,
    ): Promise<VaultResult<{ items: CardView[]; total: number }>> {
      const { merchantId } = caller;
      let defaultCardId: string | null = null;
      if (of.customerId !== undefined) {
        const customer = await customerStore.get(db, merchantId, of.customerId);
        if (!customer) return fail('customer_not_found', 'no such customer');
        defaultCardId = customer.default_card_id;
      }
      if (of.instrumentId !== undefined && !(await cardStore.getInstrument(db, merchantId, of.instrumentId))) {
        return fail('instrument_not_found', 'no such instrument identifier');
      }
      const { items, total } = await cardStore.listCardsAt(db, merchantId, of, offset, limit);
      if (of.customerId !== undefined) return succeed({ items: items.map((r) => view(r, defaultCardId)), total });
      const out: CardView[] = [];
      for (const r of items) out.push(view(r, await defaultOf(db, merchantId, r.customer_id)));
      return succeed({ items: out, total });
    },

    /**
     * The instrument identifier of a card number: made (and its number stored) on first sight, found by
     * fingerprint afterwards; a deleted one gets its number back.
     */
    async createInstrument(caller: Caller, panInput: string): Promise<VaultResult<{ instrument: InstrumentView; created: boolean }>> {
      const { merchantId } = caller;
      const parsed = parsePan(panInput);
      if (!parsed.ok) {
        return fail('invalid_card_number', 'the card number is not valid', [
          { field: 'number', code: parsed.error, message: panMessage(parsed.error) },
        ]);
      }
      const pan = parsed.value;
      const info = binInfo(pan);
      const fingerprint = await keyring.fingerprint(merchantId, pan);
      const at = iso(deps.now());
      for (let attempt = 0; ; attempt++) {
        const candidateId = instrumentIdentifierId();
        const candidateCt = await keyring.encrypt(merchantId, panAad(merchantId, candidateId), pan);
        try {
          return await inTransaction(db, async (tx) => {
            const { row, created } = await cardStore.upsertInstrument(
              tx,
              instrumentRow(merchantId, candidateId, fingerprint, candidateCt, info, at, true),
            );
            let current = row;
            if (!created && row.pan_ct === null) {
              const ct = await keyring.encrypt(merchantId, panAad(merchantId, row.id), pan);
              await cardStore.setInstrumentPan(tx, row.id, ct, dataKeyVersion(ct));
              current = { ...row, pan_ct: ct };
            }
            // Asked for as a token of its own: its number stays until it is deleted itself.
            if (!created && Number(row.retained) === 0) await cardStore.retainInstrument(tx, row.id);
            if (created || current !== row) {
              await appendAudit(tx, { merchantId, actor: caller.actor, action: 'instrument.create', target: row.id }, at);
            }
            return succeed({ instrument: instrumentView(current), created });
          });
        } catch (e) {
          if (attempt < 4 && isUniqueViolation(e)) continue;
          throw e;
        }
      }
    },

    /** An instrument identifier, also one whose number was deleted (`available: false`). */
    async getInstrument(caller: Caller, id: string): Promise<VaultResult<InstrumentView>> {
      const row = await cardStore.getInstrument(db, caller.merchantId, id);
      return row ? succeed(instrumentView(row)) : fail('instrument_not_found', 'no such instrument identifier');
    },

    /** Replaces the gateway attributes it names on an instrument identifier; others stay. */
    async updateInstrument(caller: Caller, id: string, attributes: Record<string, string>): Promise<VaultResult<InstrumentView>> {
      const { merchantId } = caller;
      return inTransaction(db, async (tx) => {
        const row = await cardStore.getInstrument(tx, merchantId, id);
        if (!row) return fail('instrument_not_found', 'no such instrument identifier');
        if (row.pan_ct === null) return fail('instrument_gone', 'the instrument identifier was deleted');
        const merged = JSON.stringify({ ...(parseJson<Record<string, string>>(row.attributes) ?? {}), ...attributes });
        await cardStore.setInstrumentAttributes(tx, id, merged);
        const at = iso(deps.now());
        await appendAudit(
          tx,
          {
            merchantId,
            actor: caller.actor,
            action: 'instrument.update',
            target: id,
            detail: { fields: Object.keys(attributes).join(',') },
          },
          at,
        );
        return succeed(instrumentView({ ...row, attributes: merged }));
      });
    },

    /** Destroys an instrument identifier's card number; refused while a live card still uses it. */
    async deleteInstrument(caller: Caller, id: string): Promise<VaultResult<InstrumentView>> {
      const { merchantId } = caller;
      return inTransaction(db, async (tx) => {
        const row = await cardStore.getInstrument(tx, merchantId, id);
        if (!row) return fail('instrument_not_found', 'no such instrument identifier');
        if (row.pan_ct === null) return fail('instrument_gone', 'the instrument identifier was deleted');
        if ((await cardStore.countLiveCardsOfInstrument(tx, id)) > 0) {
          return fail('instrument_in_use', 'payment instruments still use this instrument identifier');
        }
        await cardStore.destroyInstrumentPan(tx, id);
        scrubber.wiped([]);
        await appendAudit(tx, { merchantId, actor: caller.actor, action: 'instrument.delete', target: id }, iso(deps.now()));
        return succeed(instrumentView({ ...row, pan_ct: null }));
      });
    },

    /**
     * The one way a gateway API shows a full card number: `seal` receives it and must return it encrypted
     * to the merchant's key; the reveal is audited (committed before the sealed answer is returned).
     */
    async sealPan<T>(caller: Caller, instrumentId: string, purpose: string, seal: (pan: string) => Promise<T>): Promise<VaultResult<T>> {
      const { merchantId } = caller;
      const row = await cardStore.getInstrument(db, merchantId, instrumentId);
      if (!row) return fail('instrument_not_found', 'no such instrument identifier');
      if (row.pan_ct === null) return fail('instrument_gone', 'the card number is no longer stored');
      const pan = (await keyring.decrypt(merchantId, panAad(merchantId, row.id), row.pan_ct)).toString();
      const sealed = await seal(pan);
      await inTransaction(db, (tx) =>
        appendAudit(
          tx,
          { merchantId, actor: caller.actor, action: 'card.reveal', target: instrumentId, detail: { purpose } },
          iso(deps.now()),
        ),
      );
      return succeed(sealed);
    },

    async update(caller: Caller, token: string, change: CardUpdate, ifMatch: number | null): Promise<VaultResult<CardView>> {
      const { merchantId } = caller;
      if (change.expiry) {
        const check = checkExpiry(change.expiry);
        if (!check.ok) return check;
      }
      const named = checkHolderName(change.holderName);
      if (!named.ok) return named;
      return mutate(caller, token, ifMatch, 'card.update', async (tx, row) => {
        if (row.status === 'DELETED') return fail('card_deleted', 'the card is deleted');
        const patch: CardPatch = {};
        if (change.expiry) {
          patch.exp_month = change.expiry.month;
          patch.exp_year = change.expiry.year;
        }
        if (change.holderName !== undefined) patch.holder_name = change.holderName;
        if (change.billingAddress !== undefined)
          patch.billing_address = change.billingAddress ? JSON.stringify(change.billingAddress) : null;
        if (change.metadata !== undefined) patch.metadata = change.metadata ? JSON.stringify(change.metadata) : null;
        if (change.attributes !== undefined) {
          patch.attributes = JSON.stringify({ ...(parseJson<Record<string, string>>(row.attributes) ?? {}), ...change.attributes });
        }
        if (change.makeDefault !== undefined) {
          if (row.customer_id === null) {
            return fail('invalid_request', 'a card without a customer cannot be a default', [
              { field: 'default', code: 'no_customer', message: 'attach the card to a customer first' },
            ]);
          }
          const current = await defaultOf(tx, merchantId, row.customer_id);
          const next = change.makeDefault ? row.id : current === row.id ? null : current;
          if (next !== current) await customerStore.setDefaultCard(tx, row.customer_id, next);
        }
        return succeed({ patch });
      });
    },

    /** Whether a merchant reference was used already (claimed for real by the creation it guards). */
    referenceTaken(caller: Caller, claim: ReferenceClaim): Promise<boolean> {
      return isReferenceTaken(db, caller.merchantId, claim);
    },

    /**
     * Claims a single-use value in a commit of its own (request ids kept against replay, AlliancePay's
     * references): false when it was claimed before. Creations claim theirs in their own transaction instead
     * (TokenizeInput.claim, PayInput.claim).
     */
    claimReference(caller: Caller, namespace: string, reference: string): Promise<boolean> {
      return claimNow(db, caller.merchantId, { namespace, reference }, iso(deps.now()));
    },

    async releaseReference(caller: Caller, namespace: string, reference: string): Promise<void> {
      await releaseClaim(db, caller.merchantId, { namespace, reference });
    },

    /**
     * Hands the held CVV to its one use (the first payment) and wipes it in the same step; null when none
     * was held or its TTL has passed (an expired one is wiped too).
     */
    async takeCvv(caller: Caller, token: string): Promise<HeldCvv | null> {
      const { merchantId } = caller;
      const row = await inTransaction(db, async (tx) => {
        const secret = await cardSecretStore.get(tx, merchantId, token);
        if (secret) await cardSecretStore.delete(tx, token);
        return secret;
      });
      if (!row) return null;
      scrubber.wiped(['card_secrets']);
      if (row.expires_at <= iso(deps.now())) return null;
      try {
        return { cvv: (await cvvKeys.open(cvvAad(merchantId, token), row.cvv_ct)).toString(), expiresAt: row.expires_at };
      } catch {
        // Its window key is gone (the window ended between the read and now): as good as expired.
        return null;
      }
    },

    /** Puts a taken CVV back, with its original expiry, when its use did not happen (processor timeout). */
    async restoreCvv(caller: Caller, token: string, held: HeldCvv): Promise<void> {
      if (held.expiresAt <= iso(deps.now())) return;
      const ct = await sealCvv(caller.merchantId, token, held.cvv, held.expiresAt);
      await cardSecretStore.restore(db, { card_id: token, merchant_id: caller.merchantId, cvv_ct: ct, expires_at: held.expiresAt });
    },

    /**
     * The sweep the server runs on a timer: wipes every CVV past its TTL, destroys the window keys whose
     * window has ended, and scrubs what was deleted since the last sweep (used CVVs, deleted cards' numbers)
     * from the database files. Returns how many CVVs it wiped.
     */
    async purgeExpiredCvvs(): Promise<number> {
      const now = iso(deps.now());
      const wiped = await cardSecretStore.deleteExpired(db, now);
      if (wiped > 0) scrubber.wiped(['card_secrets']);
      if ((await windowKeyStore.deleteEnded(db, now)) > 0) scrubber.wiped(['window_keys']);
      cvvKeys.forgetEnded();
      await scrubber.scrub();
      return wiped;
    },

    /**
     * `keepDefault`: a customer's default card cannot be deleted while the customer has other live cards
     * (Cybersource's rule); checked in the deleting transaction.
     */
    async setStatus(
      caller: Caller,
      token: string,
      to: StoredStatus,
      ifMatch: number | null,
      opts: { keepDefault?: boolean; strict?: boolean } = {},
    ): Promise<VaultResult<CardView>> {
      return mutate(caller, token, ifMatch, to === 'DELETED' ? 'card.delete' : 'card.status', async (tx, row) => {
        const t = transition(row.status as StoredStatus, to);
        if (!t.ok) {
          // `strict`: a change to the state the card is already in is refused, so of two concurrent deletes one wins.
          if (t.error === 'already_in_state' && !opts.strict) return succeed({ patch: {} });
          if (t.error === 'already_in_state' && to === 'DELETED') return fail('card_deleted', 'the card is already deleted');
          return fail(row.status === 'DELETED' ? 'card_deleted' : 'invalid_transition', `a ${row.status} card cannot become ${to}`);
        }
        if (
          to === 'DELETED' &&
          opts.keepDefault &&
          row.customer_id !== null &&
          (await defaultOf(tx, caller.merchantId, row.customer_id)) === row.id
        ) {
          const others = (await cardStore.liveCardIdsOfCustomer(tx, caller.merchantId, row.customer_id)).filter((c) => c.id !== row.id);
          if (others.length > 0)
            return fail('default_in_use', 'the default payment instrument cannot be deleted while the customer has others');
        }
        // A deleted card keeps no security code either.
        if (to === 'DELETED') {
          await cardSecretStore.delete(tx, row.id);
          scrubber.wiped(['card_secrets']);
        }
        if (to === 'DELETED' && row.customer_id !== null) {
          await customerStore.clearDefaultCard(tx, row.customer_id, row.id);
        }
        return succeed({ patch: { status: to }, wipe: to === 'DELETED' ? row.instrument_id : undefined });
      });
    },
  };

  /**
   * Read–check–write with optimistic concurrency. With If-Match the caller's version must be current;
   * without it a lost race is retried on the fresh row.
   */
  async function mutate(
    caller: Caller,
    token: string,
    ifMatch: number | null,
    action: string,
    apply: (tx: Executor, row: CardWithInstrument) => Promise<VaultResult<{ patch: CardPatch; wipe?: string | undefined }>>,
  ): Promise<VaultResult<CardView>> {
    const { merchantId } = caller;
    for (let attempt = 0; attempt < 5; attempt++) {
      const outcome = await inTransaction(db, async (tx): Promise<VaultResult<CardView> | 'retry'> => {
        const row = await cardStore.getCard(tx, merchantId, token);
        if (!row) return fail('card_not_found', 'no such card');
        if (ifMatch !== null && ifMatch !== row.version) return fail('version_mismatch', 'the card was changed since you read it');
        const change = await apply(tx, row);
        if (!change.ok) return change;
        const { patch, wipe } = change.value;
        const at = iso(deps.now());
        if (Object.keys(patch).length > 0) {
          const updated = await cardStore.updateCard(tx, merchantId, token, row.version, patch, at);
          if (!updated) return ifMatch !== null ? fail('version_mismatch', 'the card was changed since you read it') : 'retry';
          if (wipe) {
            await cardStore.wipePanIfOrphaned(tx, wipe);
            scrubber.wiped([]);
          }
        }
        const detail: Record<string, string> = patch.status
          ? { from: row.status, to: patch.status }
          : { fields: Object.keys(patch).join(',') || 'none' };
        await appendAudit(tx, { merchantId, actor: caller.actor, action, target: token, detail }, at);
        const fresh = (await cardStore.getCard(tx, merchantId, token)) as CardWithInstrument;
        return succeed(view(fresh, await defaultOf(tx, merchantId, fresh.customer_id)));
      });
      if (outcome !== 'retry') return outcome;
    }
    return fail('version_mismatch', 'the card is being changed concurrently; retry');
  }
}

function panMessage(code: string): string {
  switch (code) {
    case 'pan_not_digits':
      return 'the card number must contain digits only';
    case 'pan_leading_zero':
      return 'the card number may not begin with 0';
    case 'pan_length':
      return 'the card number must be 12 to 19 digits, in a length its brand issues';
    default:
      return 'the card number fails the Luhn check';
  }
}

export type CardService = ReturnType<typeof createCardService>;
