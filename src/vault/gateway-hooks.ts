/**
 * What the merchant service asks of a gateway: the credential it provisions for a new merchant and how its
 * keys change later. The gateways implement it (api/gateways/<id>/credentials.ts) and the composition root
 * (open-vault.ts) hands their list in, so the vault names no gateway and imports nothing from the API layer.
 */

/** One generated credential: what is stored (public + encrypted secret) and what is shown once. */
export interface NewCredential {
  lookupKey: string;
  publicData: Record<string, unknown>;
  secretData: Record<string, unknown> | null;
  shown: Record<string, unknown>;
}

/** A stored credential as a key change sees it: its public half, and its secret half read on demand. */
export interface CurrentCredential {
  readonly publicData: Readonly<Record<string, unknown>>;
  secret(): Promise<Record<string, unknown> | null>;
}

/** What a key change writes (in one audited commit) and answers. */
export interface KeyChange {
  publicData: Record<string, unknown>;
  /** A new secret half, encrypted under the merchant's data key; absent: the secret half stays. */
  secretData?: Record<string, unknown>;
  /** The audit event's detail (the vault adds the gateway id): what changed, never a key. */
  audit: Record<string, string | number | boolean | null>;
  /** The operator's answer (admin API body, CLI output). */
  answer: Record<string, unknown>;
}

/** A supplied key that cannot be used: the message is shown to the operator (invalid_key). */
export interface KeyRefusal {
  refused: string;
}

export interface CredentialHooks {
  /**
   * Checks what the merchant supplied (throws, before anything slow runs for any gateway) and returns the
   * generation to run.
   */
  prepare(supplied: Readonly<Record<string, unknown>>): () => Promise<NewCredential>;
  /** Present when the gateway's keys may change after provisioning. */
  keys?: {
    apply(current: CurrentCredential, change: Readonly<Record<string, unknown>>): Promise<KeyChange | KeyRefusal>;
  };
}

/** A gateway as the merchant service knows it. */
export interface ProvisionedGateway {
  readonly id: string;
  readonly credentials: CredentialHooks;
}
