/** What a merchant API key may do. Its own module so the CLI can list the scopes without loading the vault. */
export const SCOPES = ['tokenize', 'read', 'write', 'reveal', 'pay'] as const;
export type Scope = (typeof SCOPES)[number];
