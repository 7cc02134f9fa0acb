/**
 * The one refusal every gateway throws: a stable code from the gateway's own code table (codes.ts), an
 * optional detail, the fields at fault and, for an authentication refusal, what the guard audits. Each
 * gateway's codes.ts renders it as that gateway's error body; nothing else about a refusal differs.
 */

/** A field a refusal names: where it was read from and why it was refused (never its value). */
export interface FieldFault {
  field: string;
  reason: string;
  location?: 'body' | 'path' | 'query' | 'header';
}

/** What the guard audits for a refused authentication (api/guard.ts `authFailed`). */
export interface AuthFault {
  /** The scheme refused, e.g. hmac-sha512, jwt, http-signature, jws, session. */
  scheme?: string;
  /** A short machine reason (never the credential, signature or token presented). */
  reason: string;
  /** The merchant the credential named, when the server could tell. */
  merchantId?: string | null;
}

export interface RefusalOptions {
  detail?: string;
  fields?: readonly FieldFault[];
  auth?: AuthFault;
  /** An HTTP status, where the gateway's code table leaves it to the refusal (Cybersource). */
  status?: number;
}

export class GatewayRefusal<Code extends string | number = string | number> extends Error {
  override name = 'GatewayRefusal';
  readonly detail: string | undefined;
  readonly fields: readonly FieldFault[];
  readonly auth: AuthFault | undefined;
  readonly status: number | undefined;

  constructor(
    readonly code: Code,
    opts: RefusalOptions = {},
  ) {
    super(opts.detail ?? String(code));
    this.detail = opts.detail;
    this.fields = opts.fields ?? [];
    this.auth = opts.auth;
    this.status = opts.status;
  }
}

export const isRefusal = (e: unknown): e is GatewayRefusal => e instanceof GatewayRefusal;
