/**
 * The README's haproxy configuration is the one the cluster test runs: both come from haproxyConfig(), so a change
 * to the test's balancer that is not carried into the README (or the other way round) fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { haproxyConfig, README_LAYOUT } from './haproxy-config.ts';

const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('the haproxy configuration in README "Running several instances"', () => {
  it('is, verbatim, what the cluster test writes for the README layout', () => {
    const section = readme.slice(readme.indexOf('## Running several instances'));
    expect(section).toContain(`\`\`\`\n${haproxyConfig(README_LAYOUT)}\`\`\``);
  });

  it('balances round robin in HTTP mode, passes the client address, and checks readiness', () => {
    const text = haproxyConfig({ bind: '127.0.0.1:9000', servers: [{ name: 'x', address: '127.0.0.1:9001' }] });
    for (const line of ['mode http', 'option forwardfor', 'balance roundrobin', 'option httpchk GET /readyz', 'bind 127.0.0.1:9000'])
      expect(text).toMatch(new RegExp(`^ {4}${line}$`, 'm'));
    expect(text).toMatch(/^ {4}server x 127\.0\.0\.1:9001$/m);
  });
});
