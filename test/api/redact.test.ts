/** What of a request or an error reaches a log line (src/api/redact.ts): never a card number, in any spelling. */
import { describe, expect, it } from 'vitest';
import { errorForLog, requestForLog } from '../../src/api/redact.ts';
import { containsCardNumber, REDACTED_CARD_NUMBER } from '../../src/domain/pan-detector.ts';

describe('requestForLog', () => {
  it('gives a matched request as its route template and its parameters redacted', () => {
    expect(
      requestForLog({
        method: 'GET',
        url: '/v1/cards/4000-0566-5566-5556?x=4111111111111111',
        ip: '127.0.0.1',
        routeOptions: { url: '/v1/cards/:token' },
        params: { token: '4000-0566-5566-5556' },
      }),
    ).toEqual({ method: 'GET', url: '/v1/cards/:token', params: { token: REDACTED_CARD_NUMBER }, remoteAddress: '127.0.0.1' });
  });

  it('gives an unmatched request as its redacted path, without the query', () => {
    expect(requestForLog({ method: 'GET', url: '/x/4000%200566%205566%205556?q=4111111111111111', ip: '::1' })).toEqual({
      method: 'GET',
      url: `/x/${REDACTED_CARD_NUMBER}`,
      remoteAddress: '::1',
    });
  });
});

describe('errorForLog', () => {
  it('redacts card numbers in the message and stack of an error (a database error quotes the value it refused)', () => {
    const err = Object.assign(new Error('invalid input syntax: "4000 0566 5566 5556"'), { code: '22P02' });
    const logged = errorForLog(err);
    expect(logged).toMatchObject({ type: 'Error', code: '22P02', message: `invalid input syntax: "${REDACTED_CARD_NUMBER}"` });
    expect(containsCardNumber(JSON.stringify(logged))).toBe(false);
    expect(logged.stack).toContain('redact.test.ts');
  });

  it('takes the plain { message } objects the app logs as err', () => {
    expect(errorForLog({ message: 'outcome not stored for 4000056655665556' })).toEqual({
      type: 'Error',
      message: `outcome not stored for ${REDACTED_CARD_NUMBER}`,
      stack: '',
    });
  });
});
