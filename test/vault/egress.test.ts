/**
 * Callbacks cannot be aimed at the vault's own network (server-side request forgery): with private addresses
 * denied (the default), a URL whose host is, or resolves to, a loopback, private, link-local or otherwise
 * non-public address is never connected to; allowed (development, tests), it is.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { isPublicAddress, postTo } from '../../src/vault/egress.ts';

let server: http.Server;
let port = 0;
let received = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received++;
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const request = { body: '{"a":1}', headers: { 'content-type': 'application/json' } };

describe('which addresses are public', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    'localhost',
    'not an address',
  ])('%s is not', (a) => expect(isPublicAddress(a)).toBe(false));

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '::ffff:8.8.8.8', '2606:4700:4700::1111'])('%s is', (a) =>
    expect(isPublicAddress(a)).toBe(true),
  );
});

describe('posting a callback', () => {
  it('refuses loopback by IP literal and by name, sending nothing, when private addresses are denied', async () => {
    const before = received;
    for (const url of [`http://127.0.0.1:${port}/cb`, `http://localhost:${port}/cb`, `http://[::1]:${port}/cb`]) {
      expect(await postTo(url, request, 2000, { privateAddresses: false }), url).toEqual({ error: 'blocked' });
    }
    expect(await postTo('http://169.254.169.254/latest/meta-data/', request, 2000, { privateAddresses: false })).toEqual({
      error: 'blocked',
    });
    expect(received).toBe(before);
  });

  it('delivers to a local receiver when private addresses are allowed', async () => {
    const before = received;
    expect(await postTo(`http://127.0.0.1:${port}/cb`, request, 2000, { privateAddresses: true })).toEqual({ status: 200 });
    expect(await postTo(`http://localhost:${port}/cb`, request, 2000, { privateAddresses: true })).toEqual({ status: 200 });
    expect(received).toBe(before + 2);
  });

  it('private addresses are denied unless the operator allows them', () => {
    expect(loadConfig({}).callbackPrivateAddresses).toBe(false);
    expect(loadConfig({ TOKENVAULT_CALLBACK_PRIVATE_ADDRESSES: 'allow' }).callbackPrivateAddresses).toBe(true);
    expect(() => loadConfig({ TOKENVAULT_CALLBACK_PRIVATE_ADDRESSES: 'yes' })).toThrow(/allow or deny/);
  });
});
