/**
 * 2C2P response codes used by this API (gateways.md §1.4: 0000 from the seed; the failure codes are the
 * PGW v4 vocabulary, since 2C2P publishes none specific to customer tokens).
 */
export const CODES = {
  success: { code: '0000', desc: 'Success' },
  invalid: { code: '9004', desc: 'The value is not valid' },
  missing: { code: '9005', desc: 'Mandatory field is missing' },
  tooLong: { code: '9006', desc: 'Field exceeds its maximum length' },
  merchant: { code: '9007', desc: 'Invalid merchant' },
  token: { code: '9040', desc: 'Token is invalid' },
  unknown: { code: '9993', desc: 'Unknown error' },
} as const;

export type CodeName = keyof typeof CODES;
