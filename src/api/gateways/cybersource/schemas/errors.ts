/** The Cybersource refusal bodies (TMS, PTS, authentication) and the encrypted (MLE) answer. */
import { obj, type Schema } from './common.ts';
// ---------------------------------------------------------------------------------------------------
// Errors

/** A TMS refusal with the `type` values this status can carry. */
export const tmsError = (types: string[], example?: Schema): Schema =>
  obj(
    {
      errors: {
        type: 'array',
        minItems: 1,
        items: obj(
          {
            type: { type: 'string', enum: types },
            message: { type: 'string' },
            details: {
              type: 'array',
              items: obj(
                { name: { type: 'string' }, location: { type: 'string', enum: ['body', 'path', 'query', 'header'] } },
                { required: ['name', 'location'] },
              ),
            },
          },
          { required: ['type', 'message'] },
        ),
      },
    },
    {
      required: ['errors'],
      examples: [{ errors: [example ?? TMS_EXAMPLES[types[0] as string] ?? { type: types[0], message: 'Refused' }] }],
    },
  );

/** An example refusal of each TMS type. */
const TMS_EXAMPLES: Record<string, Schema> = {
  invalidFields: {
    type: 'invalidFields',
    message: 'buyerInformation.email has an invalid format',
    details: [{ name: 'buyerInformation.email', location: 'body' }],
  },
  notFound: { type: 'notFound', message: 'Token not found' },
  conflict: {
    type: 'conflict',
    message: 'The token was changed since it was read (if-match does not match)',
  },
  notAvailable: { type: 'notAvailable', message: 'The instrument identifier is no longer available: it was deleted' },
  forbidden: { type: 'forbidden', message: 'Message-level encryption needs an MLE key registered for this merchant' },
  tooManyRequests: { type: 'tooManyRequests', message: 'Too many requests; retry later' },
  serviceUnavailable: { type: 'serviceUnavailable', message: 'The service is unavailable; retry later' },
  internalError: { type: 'internalError', message: 'Internal Server Error' },
};

/** The 401 of every route (TMS and PTS alike). */
export const AuthFailed: Schema = obj(
  {
    errors: {
      type: 'array',
      minItems: 1,
      maxItems: 1,
      items: obj(
        { type: { type: 'string', const: 'authenticationFailed' }, message: { type: 'string', pattern: '^Authentication Failed: ' } },
        { required: ['type', 'message'] },
      ),
    },
    response: obj({ rmsg: { type: 'string', const: 'Authentication Failed' } }, { required: ['rmsg'] }),
  },
  {
    required: ['errors', 'response'],
    examples: [
      {
        errors: [{ type: 'authenticationFailed', message: 'Authentication Failed: the signature does not match' }],
        response: { rmsg: 'Authentication Failed' },
      },
    ],
  },
);

/** A PTS refusal with the `reason` values this status can carry. */
export const ptsError = (status: string[], reasons: string[]): Schema =>
  obj(
    {
      submitTimeUtc: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' },
      status: { type: 'string', enum: status },
      reason: { type: 'string', enum: reasons },
      message: { type: 'string' },
      details: {
        type: 'array',
        items: obj({ field: { type: 'string' }, reason: { type: 'string' } }, { required: ['field', 'reason'] }),
      },
    },
    {
      required: ['submitTimeUtc', 'status', 'reason', 'message'],
      examples: [
        {
          submitTimeUtc: '2026-01-18T15:48:07Z',
          status: status[0],
          reason: reasons[0],
          message: reasons[0] === 'MISSING_FIELD' ? 'orderInformation.amountDetails.currency is required' : 'Refused',
          ...(reasons[0] === 'MISSING_FIELD'
            ? { details: [{ field: 'orderInformation.amountDetails.currency', reason: 'MISSING_FIELD' }] }
            : {}),
        },
      ],
    },
  );

/** The SDK's response-MLE envelope: the success body, encrypted. */
export const EncryptedResponse: Schema = obj(
  {
    encryptedResponse: {
      type: 'string',
      description:
        'A compact JWE (RSA-OAEP-256, A256GCM, `kid` = the merchant’s MLE key id) of the success body; for a GET of a customer, payment instrument or instrument identifier the card number inside is unmasked.',
    },
  },
  { required: ['encryptedResponse'], additionalProperties: false },
);
