/** The gateway scenarios: each request built and signed as that gateway's merchants do. */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { CREATE_PATH, isEncryptedAnswer } from './alliancepay.ts';
import type { ScenarioName } from './options.ts';
import type { Scenario } from './scenarios.ts';
import type { Fixtures } from './setup.ts';

// Gateway clients' signing, per request (HMAC: cheap enough to do in autocannon's setupRequest)

/** A Cybersource HTTP Signature over host, date, request-target, digest and v-c-merchant-id. */
export function cybersourceHeaders(c: Fixtures['cybersource'], host: string, path: string, body: string): Record<string, string> {
  const date = new Date().toUTCString();
  const digest = `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
  const text = `host: ${host}\ndate: ${date}\nrequest-target: post ${path}\ndigest: ${digest}\nv-c-merchant-id: ${c.merchantId}`;
  const signature = createHmac('sha256', Buffer.from(c.sharedSecret, 'base64')).update(text).digest('base64');
  return {
    host,
    date,
    digest,
    'v-c-merchant-id': c.merchantId,
    'content-type': 'application/json',
    signature: `keyid="${c.keyId}", algorithm="HmacSHA256", headers="host date request-target digest v-c-merchant-id", signature="${signature}"`,
  };
}

/** AppotaPay's HS256 JWT (X-APPOTAPAY-AUTH). */
export function appotapayJwt(a: Fixtures['appotapay']): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ typ: 'JWT', alg: 'HS256', cty: 'appotapay-api;v=1' })}.${b64({ iss: a.partnerCode, api_key: a.apiKey, jti: `${a.apiKey}-${now}`, exp: now + 300 })}`;
  return `${head}.${createHmac('sha256', a.secretKey).update(head).digest('base64url')}`;
}

type GatewayScenario = Exclude<ScenarioName, 'bare' | 'tokenize' | 'retrieve' | 'list' | 'authorize'>;

export function gatewayScenarios(f: Fixtures, nextPan: () => string, expYear: number): Record<GatewayScenario, Scenario> {
  return {
    '2c2p-add': {
      name: '2c2p-add',
      what: `POST /customertoken/3.0/CustomerToken/add, JWS(PS256) over JWE(RSA-OAEP), ${f.twoc2pBodies.length} prepared requests (ratio: to the in-process JOSE round trip)`,
      requests: () => {
        let i = 0;
        return {
          requests: [
            {
              method: 'POST',
              path: '/customertoken/3.0/CustomerToken/add',
              headers: { 'content-type': 'text/plain' },
              setupRequest: (req) => ({ ...req, body: f.twoc2pBodies[i++ % f.twoc2pBodies.length] }),
            },
          ],
        };
      },
    },
    'cybersource-create-instrument': {
      name: 'cybersource-create-instrument',
      what: 'POST /tms/v1/instrumentidentifiers, HTTP Signature (HMAC-SHA256, digest), a new card number each time',
      requests: () => ({
        requests: [
          {
            method: 'POST',
            path: '/tms/v1/instrumentidentifiers',
            setupRequest: (req) => {
              const body = JSON.stringify({ card: { number: nextPan() } });
              return { ...req, body, headers: cybersourceHeaders(f.cybersource, 'bench.local', '/tms/v1/instrumentidentifiers', body) };
            },
          },
        ],
      }),
    },
    'alliancepay-create': {
      name: 'alliancepay-create',
      what: `POST ${CREATE_PATH}, JWE(ECDH-ES+A256KW, P-384) with the card number and expiry as nested JWEs, one session, prepared single-use requests (ratio: to the in-process JOSE round trip)`,
      verify: isEncryptedAnswer,
      prepare: async (count) => {
        await f.alliancePool.topUp(count);
      },
      poolShortfall: { read: () => f.alliancePool.exhausted, reset: () => f.alliancePool.resetExhausted() },
      requests: () => ({
        requests: [
          {
            method: 'POST',
            path: CREATE_PATH,
            setupRequest: (req) => {
              const p = f.alliancePool.take();
              return { ...req, headers: p.headers, body: p.body };
            },
          },
        ],
      }),
    },
    'opay-create': {
      name: 'opay-create',
      what: 'POST /api/v1/international/token/create, HMAC-SHA512 signature, a new card and reference each time',
      // Every OPay answer is HTTP 200; success is code "00000".
      verify: (body) => body.includes('"code":"00000"'),
      requests: () => {
        let i = 0;
        const run = randomBytes(4).toString('hex');
        return {
          requests: [
            {
              method: 'POST',
              path: '/api/v1/international/token/create',
              setupRequest: (req) => {
                const body = JSON.stringify({
                  reference: `bench-${run}-${i++}`,
                  cardNumber: nextPan(),
                  expiryMonth: '12',
                  expiryYear: String(expYear % 100),
                });
                const signature = createHmac('sha512', f.opay.secretKey).update(body).digest('hex');
                return {
                  ...req,
                  body,
                  headers: { 'content-type': 'application/json', merchantid: f.opay.merchantId, authorization: `Bearer ${signature}` },
                };
              },
            },
          ],
        };
      },
    },
    'appotapay-create': {
      name: 'appotapay-create',
      what: 'POST /credit-card/token, HS256 JWT, a new card and merchantRefId each time (MULTIPLE)',
      requests: () => {
        let i = 0;
        const run = randomBytes(4).toString('hex');
        return {
          requests: [
            {
              method: 'POST',
              path: '/credit-card/token',
              setupRequest: (req) => ({
                ...req,
                body: JSON.stringify({
                  merchantRefId: `bench-${run}-${i++}`,
                  tokenType: 'MULTIPLE',
                  card: {
                    holderName: 'BENCH',
                    number: nextPan(),
                    expirationMonth: '12',
                    expirationYear: String(expYear % 100),
                    cvv: '123',
                  },
                }),
                headers: { 'content-type': 'application/json', 'x-appotapay-auth': appotapayJwt(f.appotapay) },
              }),
            },
          ],
        };
      },
    },
  };
}
