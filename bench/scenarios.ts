/** The scenarios: what each one sends, as autocannon request definitions (bench/README.md lists them). */
import type { AcOptions, AcRequest } from './autocannon.ts';
import { CUSTOMER_CARDS, type ScenarioName } from './options.ts';
import type { PacedRequest } from './paced.ts';
import { gatewayScenarios } from './scenarios-gateways.ts';
import type { Fixtures } from './setup.ts';

export interface Scenario {
  name: ScenarioName;
  what: string;
  /**
   * Fresh request options for one run (counters live in the closure, shared by all connections). Always
   * a `requests` array: autocannon takes a top-level path from `url` instead. The paced generator
   * (p99 at half rate) draws from the same definitions.
   */
  requests(): Pick<AcOptions, 'requests'>;
  /** A 2xx whose body fails this is a failure (gateways that answer refusals with HTTP 200). */
  verify?: (body: string) => boolean;
  /** Single-use prepared requests: make sure `count` unused ones are ready before a run. */
  prepare?: (count: number) => Promise<void>;
  /** Requests sent after the prepared pool ran dry (each one a used request again); reset per run. */
  poolShortfall?: { read(): number; reset(): void };
}

/** POST /v1/cards with a new card number each request: the tokenize scenario and the --through-api run. */
export function tokenizeRequest(apiKey: string, nextPan: () => string, expYear: number): AcRequest {
  return {
    method: 'POST',
    path: '/v1/cards',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ number: nextPan(), expMonth: 12, expYear }) }),
  };
}

export function scenarios(f: Fixtures, nextPan: () => string, expYear: number): Record<ScenarioName, Scenario> {
  const auth = { authorization: `Bearer ${f.apiKey}` };
  return {
    bare: { name: 'bare', what: 'GET /healthz (the HTTP ceiling)', requests: () => ({ requests: [{ method: 'GET', path: '/healthz' }] }) },
    tokenize: {
      name: 'tokenize',
      what: 'POST /v1/cards, a new Luhn-valid Visa number each time',
      requests: () => ({ requests: [tokenizeRequest(f.apiKey, nextPan, expYear)] }),
    },
    retrieve: {
      name: 'retrieve',
      what: `GET /v1/cards/:token over ${f.tokens.length.toLocaleString('en-US')} tokens`,
      requests: () => {
        let i = 0;
        return {
          requests: [
            { method: 'GET', headers: auth, setupRequest: (req) => ({ ...req, path: `/v1/cards/${f.tokens[i++ % f.tokens.length]}` }) },
          ],
        };
      },
    },
    list: {
      name: 'list',
      what: `GET /v1/customers/:id/cards (${CUSTOMER_CARDS} cards)`,
      requests: () => ({ requests: [{ method: 'GET', path: `/v1/customers/${f.customerId}/cards`, headers: auth }] }),
    },
    authorize: {
      name: 'authorize',
      what: `POST /v1/payments (authorize + capture 10.00 USD, simulator) over ${f.tokens.length.toLocaleString('en-US')} tokens`,
      requests: () => {
        let i = 0;
        return {
          requests: [
            {
              method: 'POST',
              path: '/v1/payments',
              headers: { ...auth, 'content-type': 'application/json' },
              setupRequest: (req) => ({
                ...req,
                body: JSON.stringify({ token: f.tokens[i++ % f.tokens.length], amount: 1000, currency: 'USD' }),
              }),
            },
          ],
        };
      },
    },
    ...gatewayScenarios(f, nextPan, expYear),
  };
}

/** The same request definitions as one stream for the paced generator. */
export function requestStream(defs: AcRequest[]): () => PacedRequest {
  let i = 0;
  const context: Record<string, unknown> = {};
  return () => {
    const def = defs[i++ % defs.length] as AcRequest;
    const req = def.setupRequest ? def.setupRequest({ ...def }, context) : def;
    return {
      method: req.method ?? 'GET',
      path: req.path ?? '/',
      ...(req.headers ? { headers: req.headers } : {}),
      ...(req.body !== undefined ? { body: req.body } : {}),
    };
  };
}
