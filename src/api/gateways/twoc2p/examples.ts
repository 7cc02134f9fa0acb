/** The examples of the 2C2P document (schemas.ts): 2C2P's own published samples, with a future expiry. */
import { CODES, type Twoc2pOperation as Operation } from './codes.ts';
import { SEED_JWS } from './seed-messages.ts';

type Schema = Record<string, unknown>;

/** Printed by 2C2P; the test gives its merchant this merchantID so the examples can be sent as they are. */
const EXAMPLE_MERCHANT_ID = '458458000000000';
/** 2C2P's sample token (ddMMyyHHmmss + six digits); the test substitutes a token it created. */
const EXAMPLE_TOKEN = '261020155003189559';
/** 2C2P's samples expire in 2024; a card must not be expired to be stored, so the examples look ahead. */
const EXAMPLE_YEAR = new Date().getUTCFullYear() + 3;

/** The JSON inside each request. */
export const REQUEST_EXAMPLES: Record<Operation, Schema> = {
  add: {
    merchantID: EXAMPLE_MERCHANT_ID,
    accountNo: '4111111111111111',
    name: 'Terrance',
    email: 'terrance@example.com',
    expiry: `${EXAMPLE_YEAR}-02-01`,
    accountIssuer: 'UOB Bank',
    accountIssuerCountry: 'SG',
    accountCurrency: 'SGD',
    tokenProvider: 'CC',
  },
  update: {
    merchantID: EXAMPLE_MERCHANT_ID,
    token: EXAMPLE_TOKEN,
    name: 'Terrance',
    email: 'terrance@example.com',
    expiry: `${EXAMPLE_YEAR}-09-30`,
    accountIssuer: 'HSBC Bank',
    accountIssuerCountry: 'MY',
    accountCurrency: 'MYR',
    tokenProvider: 'CC',
  },
  get: { merchantID: EXAMPLE_MERCHANT_ID, token: EXAMPLE_TOKEN },
  delete: { merchantID: EXAMPLE_MERCHANT_ID, token: EXAMPLE_TOKEN },
};

const card = (exp: string) => ({
  name: 'Terrance',
  email: 'terrance@example.com',
  expiry: exp,
  accountIssuer: 'HSBC Bank',
  accountIssuerCountry: 'MY',
  accountCurrency: 'MYR',
  channelCode: '',
  subChannelCode: '',
});
const ok = { responseCode: CODES.success.code, responseDesc: CODES.success.desc };

export const SUCCESS_EXAMPLES: Record<Operation, Schema> = {
  add: {
    merchantID: EXAMPLE_MERCHANT_ID,
    token: EXAMPLE_TOKEN,
    tokenReference: '',
    accountNo: '411111XXXXXX1111',
    ...card(`${EXAMPLE_YEAR}-02-01`),
    accountIssuer: 'UOB Bank',
    accountIssuerCountry: 'SG',
    accountCurrency: 'SGD',
    ...ok,
  },
  update: { merchantID: EXAMPLE_MERCHANT_ID, token: EXAMPLE_TOKEN, ...card(`${EXAMPLE_YEAR}-09-30`), ...ok },
  get: { merchantID: EXAMPLE_MERCHANT_ID, token: EXAMPLE_TOKEN, ...card(`${EXAMPLE_YEAR}-09-30`), ...ok },
  delete: { merchantID: EXAMPLE_MERCHANT_ID, token: EXAMPLE_TOKEN, ...ok },
};

export const failureExample = (op: Operation): Schema => ({
  merchantID: EXAMPLE_MERCHANT_ID,
  ...(op === 'add' ? {} : { token: EXAMPLE_TOKEN }),
  responseCode: op === 'add' ? CODES.missing.code : CODES.token.code,
  responseDesc: op === 'add' ? 'expiry is required' : 'Token is invalid',
});

/** 2C2P's sample messages: the wire format only (they verify against no tokenvault key). */
export const SEED_REQUEST: Record<Operation, string> = {
  add: SEED_JWS.addRequest,
  update: SEED_JWS.updateRequest,
  get: SEED_JWS.getRequest,
  delete: SEED_JWS.deleteRequest,
};
export const SEED_RESPONSE: Record<Operation, string> = {
  add: SEED_JWS.addResponse,
  update: SEED_JWS.updateResponse,
  get: SEED_JWS.getResponse,
  delete: SEED_JWS.deleteResponse,
};
