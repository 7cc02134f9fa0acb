/**
 * Gateway sessions (AlliancePay's "virtual devices"): each has its own server key pair, whose private
 * half is kept encrypted under the merchant's data key, and two secrets (refresh and auth token) of which
 * only hashes are stored. Sessions live in the database so every worker and a restarted server know them.
 */
import { createHash, createPrivateKey, generateKeyPair, type JsonWebKey, type KeyObject, randomUUID, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { appendAudit } from '../audit/log.ts';
import { dataKeyVersion } from '../crypto/keyring.ts';
import { inTransaction } from '../store/db.ts';
import { SESSION_KEY } from '../store/encrypted-fields.ts';
import { sessionStore } from '../store/session-store.ts';
import { type Caller, iso, type VaultDeps } from './deps.ts';

const generate = promisify(generateKeyPair);
const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

export interface NewSession {
  deviceId: string;
  refreshToken: string;
  authToken: string;
  serverPublicJwk: JsonWebKey;
  expiresAt: Date;
}

export interface OpenSession {
  deviceId: string;
  merchantId: string;
  credentialId: string;
  serverKey: KeyObject;
  expiresAt: Date;
}

export type SessionRefusal = 'unknown' | 'wrong_refresh' | 'expired';

const keyAad = (merchantId: string, deviceId: string) => SESSION_KEY.aad(merchantId, deviceId);

export function createSessionService(deps: VaultDeps) {
  const { db, keyring } = deps;
  // Decrypted server keys by device id: a session's key is decrypted once per process.
  const keys = new Map<string, KeyObject>();

  return {
    /**
     * A new session for `ttlMs`; with `maxLive`, the merchant then holds at most that many live sessions: the
     * oldest beyond it are ended (audited `session.end`) in the same transaction. Both are the gateway's own
     * settings. Two sessions opened at once on different instances may each miss the other's, not yet
     * committed, and leave one over the cap until the next opening.
     */
    async create(caller: Caller & { credentialId: string }, ttlMs: number, maxLive?: number): Promise<NewSession> {
      const { publicKey, privateKey } = await generate('ec', { namedCurve: 'P-384' });
      const deviceId = randomUUID();
      const refreshToken = randomUUID();
      const authToken = randomUUID();
      const now = deps.now();
      const expiresAt = new Date(now.getTime() + ttlMs);
      const ct = await keyring.encrypt(
        caller.merchantId,
        keyAad(caller.merchantId, deviceId),
        JSON.stringify(privateKey.export({ format: 'jwk' })),
      );
      const ended = await inTransaction(db, async (tx) => {
        await sessionStore.insert(tx, {
          id: deviceId,
          merchant_id: caller.merchantId,
          credential_id: caller.credentialId,
          refresh_hash: hash(refreshToken),
          auth_hash: hash(authToken),
          server_key_ct: ct,
          key_version: dataKeyVersion(ct),
          expires_at: iso(expiresAt),
          created_at: iso(now),
        });
        await appendAudit(tx, { merchantId: caller.merchantId, actor: caller.actor, action: 'session.create', target: deviceId }, iso(now));
        if (maxLive === undefined) return [];
        const over = await sessionStore.endOldestBeyond(tx, caller.merchantId, maxLive, iso(now), deviceId);
        for (const id of over) {
          const event = {
            merchantId: caller.merchantId,
            actor: caller.actor,
            action: 'session.end',
            target: id,
            detail: { reason: 'session_cap' },
          };
          await appendAudit(tx, event, iso(now));
        }
        return over;
      });
      for (const id of ended) keys.delete(id);
      keys.set(deviceId, privateKey);
      const jwk = publicKey.export({ format: 'jwk' });
      return {
        deviceId,
        refreshToken,
        authToken,
        serverPublicJwk: { ...jwk, use: 'enc', alg: 'ECDH-ES+A256KW', kid: deviceId },
        expiresAt,
      };
    },

    /** The session a request names, if its refresh token matches and it has not expired. */
    /** A session by device id and refresh token; a refusal names the session's merchant when the device is known (audit). */
    async open(
      deviceId: string,
      refreshToken: string,
    ): Promise<{ ok: true; session: OpenSession } | { ok: false; error: SessionRefusal; merchantId?: string }> {
      if (!/^[0-9a-f-]{36}$/i.test(deviceId)) return { ok: false, error: 'unknown' };
      const row = await sessionStore.byId(db, deviceId);
      if (!row) return { ok: false, error: 'unknown' };
      const given = Buffer.from(hash(refreshToken), 'hex');
      const merchantId = row.merchant_id;
      if (!timingSafeEqual(given, Buffer.from(row.refresh_hash, 'hex'))) return { ok: false, error: 'wrong_refresh', merchantId };
      const expiresAt = new Date(row.expires_at);
      if (expiresAt.getTime() <= deps.now().getTime()) {
        keys.delete(deviceId);
        return { ok: false, error: 'expired', merchantId };
      }
      let serverKey = keys.get(deviceId);
      if (!serverKey) {
        try {
          const jwk = (await keyring.decrypt(row.merchant_id, keyAad(row.merchant_id, deviceId), row.server_key_ct)).toString();
          serverKey = createPrivateKey({ key: JSON.parse(jwk) as JsonWebKey, format: 'jwk' });
        } catch {
          // Its data key was retired or shredded: the session cannot continue; the client re-authorizes.
          return { ok: false, error: 'expired', merchantId };
        }
        if (keys.size > 10_000) keys.clear();
        keys.set(deviceId, serverKey);
      }
      return { ok: true, session: { deviceId, merchantId: row.merchant_id, credentialId: row.credential_id, serverKey, expiresAt } };
    },

    /** Deletes sessions that expired or were ended (their private keys with them); the server runs this on a timer. */
    async purgeExpired(): Promise<number> {
      return sessionStore.deleteExpired(db, iso(deps.now()));
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
