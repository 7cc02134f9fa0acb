/**
 * How the cluster test reaches the instances: through the balancer or straight to one instance, from a chosen
 * client address (127.0.0.0/8 is all loopback on Linux, so each simulated client binds its own 127.0.0.x and the
 * instances, trusting only the balancer's 127.0.0.1, see that address). Every request is counted by where it went.
 * Also an `inject` adapter so the gateway test helpers (which speak to `t.app.inject`) send over real HTTP.
 */
import http from 'node:http';
import { jsonOf, NoReply, type Reply, send } from '../crash/http.ts';
import type { TestApp, TestMerchant } from '../helpers/harness.ts';

export { jsonOf, NoReply, type Reply };

export interface Via {
  /** 'balancer', 'a' or 'b'. */
  label: string;
  port: number;
  /** The client's own address (127.0.0.x). */
  from: string;
}

/** Requests sent, by where they went; and of those sent through the balancer, answers by the instance that gave them. */
export const sent = new Map<string, number>();
export const served = new Map<string, number>();

const agents = new Map<string, http.Agent>();
function agentFor(from: string): http.Agent {
  let a = agents.get(from);
  if (!a) {
    a = new http.Agent({ keepAlive: true, maxSockets: 256, localAddress: from });
    agents.set(from, a);
  }
  return a;
}

/** Closes every kept-alive connection (before an instance or the balancer is restarted). */
export function dropConnections(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

export const REQUEST_TIMEOUT_MS = 15_000;

export function request(
  v: Via,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Reply> {
  sent.set(v.label, (sent.get(v.label) ?? 0) + 1);
  const answer = send({ port: v.port, agent: agentFor(v.from) }, method, path, headers, body, timeoutMs);
  if (v.label === 'balancer')
    void answer.then(
      (r) => served.set(servedBy(r), (served.get(servedBy(r)) ?? 0) + 1),
      () => {},
    );
  return answer;
}

/** The instance that answered a request sent through the balancer (haproxy's X-Served-By). */
export const servedBy = (r: Reply): string => String(r.headers['x-served-by'] ?? '?');

/** A native API call with an API key (or the admin token). */
export function api(
  v: Via,
  key: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const h: Record<string, string> = { authorization: `Bearer ${key}`, ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  return request(v, method, path, h, body === undefined ? undefined : JSON.stringify(body));
}

export function expectStatus(r: Reply, status: number, what: string): unknown {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${r.text.slice(0, 300)}`);
  return jsonOf(r);
}

/** A merchant as the gateway test helpers take it: its id, its API key, and every credential creation showed. */
export async function createMerchant(v: Via, adminToken: string, name: string): Promise<TestMerchant> {
  const r = await api(v, adminToken, 'POST', '/v1/admin/merchants', { name });
  const body = expectStatus(r, 201, 'merchant create') as { id: string; apiKey: string };
  return { id: body.id, apiKey: body.apiKey, credentials: body as unknown as Record<string, unknown> };
}

/**
 * A stand-in for the test harness's app whose `inject` sends the request over HTTP to `v`: the Cybersource and
 * AlliancePay clients of test/gateways then sign and encrypt exactly as in the unit suites.
 */
export function overHttp(v: Via): TestApp {
  const inject = async (opts: { method: string; url: string; headers?: Record<string, string>; payload?: unknown }) => {
    const body = opts.payload === undefined ? undefined : typeof opts.payload === 'string' ? opts.payload : JSON.stringify(opts.payload);
    const r = await request(v, opts.method, opts.url, opts.headers ?? {}, body);
    return { statusCode: r.status, headers: r.headers, body: r.text, json: () => JSON.parse(r.text) };
  };
  return { app: { inject } } as unknown as TestApp;
}
