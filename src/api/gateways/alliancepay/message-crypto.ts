/**
 * AlliancePay's message encryption: every body and answer, and the card fields inside a body, are compact
 * JWEs (ECDH-ES+A256KW / A256GCM, P-384), and only that pair of algorithms is accepted (crypto/ecdh-es.ts,
 * on node:crypto: the JOSE work was most of a request's CPU through jose). A JWE that does not open is one
 * refusal, whatever the reason (no oracle).
 */
import type { KeyObject } from 'node:crypto';
import { decryptCompact, encryptCompact } from '../../../crypto/ecdh-es.ts';
import { rawText } from '../kit/body.ts';
import { refusal } from './codes.ts';

/**
 * The JWE a session call's body carries: its text without surrounding whitespace. What `open` decrypts and
 * what a replay is recognised by (replay.ts): a captured body padded with whitespace is the same request.
 */
export const bodyJwe = (body: unknown): string => rawText(body).trim();

/** `value` as JSON in a compact JWE to `key`. */
export const seal = (value: unknown, key: KeyObject): Promise<string> => encryptCompact(Buffer.from(JSON.stringify(value)), key);

/**
 * The UTF-8 text inside a compact JWE to `key`, one of `merchantId`'s (its session's or its payment key); refused
 * with `b_encryptor_failed_decrypt_message`, audited as a failed authentication of that merchant.
 */
export async function open(jwe: string, key: KeyObject, merchantId: string): Promise<string> {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(decryptCompact(jwe.trim(), key));
  } catch {
    throw refusal('b_encryptor_failed_decrypt_message', { auth: { reason: 'b_encryptor_failed_decrypt_message', merchantId } });
  }
}
