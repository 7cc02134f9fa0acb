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
