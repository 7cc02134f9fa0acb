/** Settings parsed once at start: defaults, accepted values, and a clear ConfigError naming the variable otherwise. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('shutdown deadline and PostgreSQL pool size', () => {
  it('default to 10 seconds and 10 connections', () => {
    const config = loadConfig({});
    expect(config.shutdownSeconds).toBe(10);
    expect(config.databasePoolSize).toBe(10);
  });

  it('are read from TOKENVAULT_SHUTDOWN_SECONDS and TOKENVAULT_DATABASE_POOL_SIZE', () => {
    const config = loadConfig({ TOKENVAULT_SHUTDOWN_SECONDS: '45', TOKENVAULT_DATABASE_POOL_SIZE: '32' });
    expect(config.shutdownSeconds).toBe(45);
    expect(config.databasePoolSize).toBe(32);
  });

  it.each([
    ['TOKENVAULT_SHUTDOWN_SECONDS', '0'],
    ['TOKENVAULT_SHUTDOWN_SECONDS', '3601'],
    ['TOKENVAULT_SHUTDOWN_SECONDS', '2.5'],
    ['TOKENVAULT_DATABASE_POOL_SIZE', '0'],
    ['TOKENVAULT_DATABASE_POOL_SIZE', '1001'],
    ['TOKENVAULT_DATABASE_POOL_SIZE', 'ten'],
  ])('refuse %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

describe('failed-authentication ceilings and TOKENVAULT_TRUST_PROXY (issue 19)', () => {
  it('default the address ceiling to 100× and the credential ceiling to 10× the limit, and trust no proxy', () => {
    const config = loadConfig({ TOKENVAULT_AUTH_FAILURE_LIMIT: '7' });
    expect(config.authFailureAddressLimit).toBe(700);
    expect(config.authFailureCredentialLimit).toBe(70);
    expect(config.trustProxy).toBe(false);
  });

  it('read the ceilings, refusing one below the per-credential limit', () => {
    const config = loadConfig({ TOKENVAULT_AUTH_FAILURE_ADDRESS_LIMIT: '5000', TOKENVAULT_AUTH_FAILURE_CREDENTIAL_LIMIT: '50' });
    expect([config.authFailureAddressLimit, config.authFailureCredentialLimit]).toEqual([5000, 50]);
    expect(() => loadConfig({ TOKENVAULT_AUTH_FAILURE_ADDRESS_LIMIT: '5' })).toThrow(
      /TOKENVAULT_AUTH_FAILURE_ADDRESS_LIMIT must be between 10/,
    );
  });

  it('read true, false and lists of addresses, CIDRs and proxy-addr names', () => {
    expect(loadConfig({ TOKENVAULT_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TOKENVAULT_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TOKENVAULT_TRUST_PROXY: ' 10.0.0.0/8, 192.168.1.7 ,fd00::/8,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('refuse a hop count (Fastify ignores one) and anything that is not an address or CIDR', () => {
    for (const bad of ['1', '2', '10.0.0.0/33', 'fd00::/129', 'balancer.local', '10.0.0.1,', '10.0.0.1/8/1']) {
      expect(() => loadConfig({ TOKENVAULT_TRUST_PROXY: bad }), bad).toThrow(ConfigError);
    }
    expect(() => loadConfig({ TOKENVAULT_TRUST_PROXY: '1' })).toThrow(/not a hop count/);
  });
});
