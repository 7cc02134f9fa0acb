/**
 * The haproxy configuration the cluster test runs, and the one README "Running several instances" shows: one
 * function makes both (test/cluster/haproxy-config.test.ts checks that the README holds its text). No I/O here,
 * so the unit test can import it.
 */

export interface HaproxyLayout {
  /** Where the balancer listens, `host:port`. */
  bind: string;
  /** The tokenvault instances, by name (the name is what X-Served-By carries). */
  servers: readonly { name: string; address: string }[];
}

/** The layout the README shows: the balancer on :8080, two instances on :8081 and :8082 of the same host. */
export const README_LAYOUT: HaproxyLayout = {
  bind: '127.0.0.1:8080',
  servers: [
    { name: 'a', address: '127.0.0.1:8081' },
    { name: 'b', address: '127.0.0.1:8082' },
  ],
};

export function haproxyConfig(layout: HaproxyLayout): string {
  return [
    'global',
    '    maxconn 2000',
    '',
    'defaults',
    '    mode http',
    '    # X-Forwarded-For: the client address, which the instances read with TOKENVAULT_TRUST_PROXY',
    '    option forwardfor',
    '    # a request refused a connection by one instance is sent to the other',
    '    option redispatch',
    '    retries 2',
    '    timeout connect 2s',
    '    timeout client 30s',
    '    # at least TOKENVAULT_REQUEST_TIMEOUT_MS',
    '    timeout server 30s',
    '    timeout http-keep-alive 10s',
    '    timeout check 3s',
    '',
    'frontend tokenvault',
    `    bind ${layout.bind}`,
    '    default_backend tokenvault',
    '',
    'backend tokenvault',
    '    balance roundrobin',
    '    # an instance whose database is unreachable, or whose master key does not match, answers 503 here',
    '    option httpchk GET /readyz',
    '    http-check expect status 200',
    '    # which instance answered (the cluster test counts them; leave it out if clients should not see it)',
    '    http-response set-header X-Served-By %[srv_name]',
    '    default-server check inter 1s fall 3 rise 2',
    ...layout.servers.map((s) => `    server ${s.name} ${s.address}`),
    '',
  ].join('\n');
}
