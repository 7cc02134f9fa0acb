/**
 * Where the vault may send a request of its own (callbacks to a URL a merchant's request named). A URL from
 * an API caller must not turn the vault into a way into its own network (server-side request forgery): unless
 * the operator allows it (TOKENVAULT_CALLBACK_PRIVATE_ADDRESSES=allow, for local development and tests), an
 * address that is loopback, private, link-local (cloud metadata: 169.254.169.254), shared, multicast or
 * otherwise not publicly routable is refused. The check is made on the address actually connected to (the
 * DNS answer at connect time, so a name that re-resolves to an inner address is refused too), and redirects
 * are never followed.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  // NAT64 reaches IPv4 addresses through a translator: refused as a whole. (IPv4-mapped addresses,
  // ::ffff:a.b.c.d, are checked by BlockList against the IPv4 rules above.)
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address is publicly routable (false for anything that is not an IP address). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
  constructor() {
    super('the callback address is not publicly routable');
  }
}

/** A DNS lookup that fails when any address the name resolves to is not public. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 4);
    const list = addresses as dns.LookupAddress[];
    if (list.length === 0 || list.some((a) => !isPublicAddress(a.address))) return callback(new BlockedAddressError(), '', 4);
    if ((options as dns.LookupAllOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    const first = list[0] as dns.LookupAddress;
    callback(null, first.address, first.family);
  });
};

export type PostResult = { status: number } | { error: string };

/**
 * POSTs `body` to `url` with a timeout; the answer's status, or why there is none ('timeout', 'blocked',
 * 'unreachable'). With `privateAddresses: false` only public addresses are connected to.
 */
export function postTo(
  url: string,
  request: { body: string; headers: Record<string, string> },
  timeoutMs: number,
  opts: { privateAddresses: boolean },
): Promise<PostResult> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve({ error: 'unreachable' });
    }
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    // An IP literal is connected to without a lookup: checked here.
    if (!opts.privateAddresses && isIP(literal) !== 0 && !isPublicAddress(literal)) return resolve({ error: 'blocked' });
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : null;
    if (!client) return resolve({ error: 'unreachable' });
    const req = client.request(target, {
      method: 'POST',
      headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
      signal: AbortSignal.timeout(timeoutMs),
      ...(opts.privateAddresses ? {} : { lookup: publicOnlyLookup }),
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', (e) => {
      const blocked = e instanceof BlockedAddressError || (e as { cause?: unknown }).cause instanceof BlockedAddressError;
      const timedOut = e.name === 'AbortError' || e.name === 'TimeoutError';
      resolve({ error: blocked ? 'blocked' : timedOut ? 'timeout' : 'unreachable' });
    });
    req.end(request.body);
  });
}
