/** The code table (README): OPay's published codes where one fits, the rest documented here. */
export const OPAY_CODES = {
  success: ['00000', 'SUCCESSFUL'],
  auth: ['10001', 'Authentication failed: unknown MerchantId or the signature does not match'],
  header: ['98', 'Invalid request header: MerchantId and Authorization: Bearer <signature> are required'],
  params: ['99', 'Request parameters are not valid'],
  duplicate: ['20000', 'Duplicate merchant order number'],
  tokenNotFound: ['20001', 'Card token not found'],
  customerNotFound: ['20002', 'Customer not found'],
  expired: ['54', 'Expired card'],
  system: ['90', 'System failure'],
  limited: ['10002', 'Too many requests, retry later'],
} as const;
