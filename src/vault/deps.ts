import type { Keyring } from '../crypto/keyring.ts';
import type { MasterKeyProvider } from '../crypto/master-key.ts';
import type { InstrumentScope } from '../store/card-store.ts';
import type { Db } from '../store/db.ts';
import type { Scrubber } from '../store/scrub.ts';
import type { ChangeFeed } from './changes.ts';

/** What every vault service may use; built once in the composition root (app.ts). */
export interface VaultDeps {
  readonly db: Db;
  readonly keyring: Keyring;
  readonly master: MasterKeyProvider;
  readonly now: () => Date;
  /** How long a CVV may wait for its first use. */
  readonly cvvTtlMs: number;
  /** Deleted secrets are recorded here and scrubbed from the database files by the sweep. */
  readonly scrubber: Scrubber;
  /** Tells every process (this one included) to drop what it cached of a committed change. */
  readonly changes: ChangeFeed;
}

export const iso = (d: Date): string => d.toISOString();

/** Parses a JSON column written by this server. */
export const parseJson = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

/** Who is acting, for tenant scoping and the audit log: the merchant and the credential that spoke. */
export interface Caller {
  readonly merchantId: string;
  /** An API key id, or a gateway credential id; 'admin' / 'cli' for operators. */
  readonly actor: string;
  /**
   * Whether the API that spoke serves bank accounts (electronic checks) besides cards: only Cybersource's
   * does. Every other caller never reads, lists, pays with or reveals a bank account's token.
   */
  readonly bankAccounts?: boolean;
}

/** The instruments a caller's reads see: the one place the rule above is applied (store/card-store.ts). */
export const scopeOf = (caller: Caller): InstrumentScope => (caller.bankAccounts === true ? 'all' : 'cards');
