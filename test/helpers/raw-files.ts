/**
 * The attacker of PCI DSS 3.3.1.2 and of crypto-shredding: a copy of every database file and the master key.
 * `rawDatabaseBytes` reads the files as they are on disk (SQLite: the database and its WAL; PostgreSQL: every
 * relation file of the test's schema, after a CHECKPOINT, through pg_read_binary_file), and `recover*` try
 * every ciphertext found in those bytes with every key that can be unwrapped from them.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { merchantKeyWrapAad, windowKeyWrapAad } from '../../src/crypto/aad.ts';
import { open, parseEnvelope } from '../../src/crypto/envelope.ts';
import type { TestApp } from './harness.ts';

export async function rawDatabaseBytes(t: TestApp): Promise<Buffer[]> {
  if (!t.config.databaseUrl) {
    const file = path.join(t.config.dataDir, 'tokenvault.db');
    return [file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f));
  }
  const client = new pg.Client({ connectionString: t.config.databaseUrl });
  await client.connect();
  try {
    await client.query('checkpoint');
    const { rows } = await client.query<{ path: string }>(
      `select pg_relation_filepath(c.oid) as path from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relkind in ('r', 'i', 't')
       union
       select pg_relation_filepath(c.reltoastrelid) from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.reltoastrelid <> 0`,
      [t.config.databaseSchema],
    );
    const out: Buffer[] = [];
    for (const r of rows) {
      if (!r.path) continue;
      const file = await client.query<{ bytes: Buffer }>('select pg_read_binary_file($1, 0, 67108864, true) as bytes', [r.path]);
      if (file.rows[0]?.bytes) out.push(file.rows[0].bytes);
    }
    return out;
  } finally {
    await client.end();
  }
}

interface Found {
  keyRef: string;
  nonce: string;
  /** The longest base64url run after the nonce: the body, perhaps followed by bytes of the next column. */
  tail: string;
}

/** Every envelope-shaped text in the bytes (`tv1.A256GCM.<keyRef>.<nonce>.<body>`). */
function envelopes(blobs: Buffer[]): Found[] {
  const out: Found[] = [];
  for (const b of blobs) {
    for (const m of b.toString('latin1').matchAll(/tv1\.A256GCM\.([A-Za-z0-9_-]{1,40})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})/g)) {
      out.push({ keyRef: m[1] as string, nonce: m[2] as string, tail: m[3] as string });
    }
  }
  return out;
}

/**
 * Tries a found envelope with a key and an AAD. In the files a value is followed by the next column's bytes,
 * which may be base64url characters too, so every body length is tried.
 */
function tryOpen(found: Found, key: Buffer, aad: string): Buffer | null {
  for (let len = 22; len <= Math.min(found.tail.length, 400); len++) {
    try {
      return open(key, parseEnvelope(`tv1.A256GCM.${found.keyRef}.${found.nonce}.${found.tail.slice(0, len)}`), aad);
    } catch {
      // not this length
    }
  }
  return null;
}

/** Unwraps every master-wrapped value in the bytes that opens with one of the AADs offered. */
function unwrapAll(found: Found[], master: ReadonlyMap<number, Buffer>, aads: string[]): Buffer[] {
  const keys: Buffer[] = [];
  for (const f of found.filter((e) => /^k\d+$/.test(e.keyRef))) {
    const kek = master.get(Number(f.keyRef.slice(1)));
    if (!kek) continue;
    for (const aad of aads) {
      const key = tryOpen(f, kek, aad);
      if (key) keys.push(key);
    }
  }
  return keys;
}

/** Held CVVs of these cards that can be read from the bytes with the master key. */
export function recoverCvvs(
  blobs: Buffer[],
  master: ReadonlyMap<number, Buffer>,
  cards: { merchantId: string; token: string; aad: string }[],
): string[] {
  const found = envelopes(blobs);
  const windowIds = [...new Set(found.filter((e) => /^w\d+$/.test(e.keyRef)).map((e) => e.keyRef.slice(1)))];
  const keys = unwrapAll(found, master, windowIds.map(windowKeyWrapAad));
  const out: string[] = [];
  for (const f of found.filter((e) => /^w\d+$/.test(e.keyRef)))
    for (const key of keys)
      for (const card of cards) {
        const plain = tryOpen(f, key, card.aad);
        if (plain) out.push(plain.toString());
      }
  return out;
}

/** Data keys of a merchant that can be unwrapped from the bytes with the master key. */
export function recoverDataKeys(blobs: Buffer[], master: ReadonlyMap<number, Buffer>, merchantId: string, maxVersion = 5): Buffer[] {
  const aads = Array.from({ length: maxVersion }, (_, i) => merchantKeyWrapAad(merchantId, 'data', i + 1));
  return unwrapAll(envelopes(blobs), master, aads);
}

/** Card numbers that open, with any of the keys given, from the `d`-envelopes in the bytes. */
export function recoverWithDataKeys(blobs: Buffer[], keys: Buffer[], aads: string[]): string[] {
  const out: string[] = [];
  for (const f of envelopes(blobs).filter((e) => /^d\d+$/.test(e.keyRef)))
    for (const key of keys)
      for (const aad of aads) {
        const plain = tryOpen(f, key, aad);
        if (plain) out.push(plain.toString());
      }
  return out;
}
