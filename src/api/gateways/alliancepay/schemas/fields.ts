/** The fields of AlliancePay's request and answer payloads, shared by the operations' schemas. */
import { MAX_AMOUNT } from '../../../../domain/money.ts';

export type Schema = Record<string, unknown>;

export const JWE_PATTERN = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';
/** Every string field refuses control characters. */
export const NO_CONTROL = '^[^\\u0000-\\u001f]*$';

export const text = (maxLength: number, description: string, required = false): Schema => ({
  type: 'string',
  ...(required ? { minLength: 1 } : {}),
  maxLength,
  pattern: NO_CONTROL,
  description,
});

export const merchantRequestId: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 36,
  pattern: '^[A-Za-z0-9-]{1,36}$',
  description:
    'Your id of this request (a UUID): unique per merchant across token creations and payments; a reuse is refused with `b_duplicate_field_value`.',
};
export const merchantId: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 36,
  description: 'Your AlliancePay merchant id (a UUID, from the merchant credentials); must be the session’s merchant.',
};
export const optionalMerchantId: Schema = {
  type: 'string',
  maxLength: 36,
  description: 'Optional here; when sent, must be the session’s merchant (else `b_user_merchant_request_mismatch`).',
};
export const customerId = (description: string): Schema => text(255, description, true);
export const cardField = (what: string): Schema => ({
  type: 'string',
  minLength: 1,
  maxLength: 4096,
  pattern: JWE_PATTERN,
  description: `${what}, as a compact JWE (ECDH-ES+A256KW / A256GCM) to your \`paymentPublicJwk\`; one that does not decrypt is refused with \`b_encryptor_failed_decrypt_message\`.`,
});
export const date: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 40,
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}',
  description: 'When you sent the request, `yyyy-MM-dd HH:mm:ss.SS+00:00`.',
};
export const token: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'A token (24 url-safe characters) from token creation or a purchase with `typeToken: TOKEN_PER_CUSTOMER`.',
};
export const coinAmount: Schema = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_AMOUNT,
  description: 'The amount in kopiykas (UAH, currency 980).',
};
export const cvv = cardField('The card security code (3 or 4 digits)');
export const desiredThreeDSMode: Schema = {
  type: 'string',
  enum: ['MUST', 'MUST_NOT', 'SHOULD'],
  default: 'SHOULD',
  description:
    '`MUST`: 3-D Secure wherever possible; `SHOULD` (default): as the card requires; `MUST_NOT`: never — a card that needs a challenge then ends `DESIRED_THREEDS_MODE_ERROR`, nothing charged.',
};
export const txnType: Schema = {
  type: 'string',
  enum: ['NONCVV', 'noncvv'],
  description: 'A payment without the CVV; `cvv` is then not read.',
};
export const typeToken: Schema = {
  type: 'string',
  enum: ['TOKEN_PER_CUSTOMER', 'NO_TOKEN'],
  default: 'NO_TOKEN',
  description: '`TOKEN_PER_CUSTOMER`: keep the card as a token of `customerData.senderCustomerId` when the purchase succeeds.',
};
export const customerData: Schema = {
  type: 'object',
  required: ['senderCustomerId'],
  properties: { senderCustomerId: customerId('Your id of the paying customer.') },
  description: 'The payer. Further sender/recipient fields the gateway defines are accepted and not used.',
};
export const paymentCommon: Record<string, Schema> = {
  merchantRequestId,
  merchantId,
  coinAmount,
  desiredThreeDSMode,
  txnType,
  resultRedirectUrl: text(1000, 'Where the cardholder returns after 3-D Secure.'),
  notificationUrl: text(
    1000,
    'Where the callback of the payment’s outcome is POSTed (absolute http or https URL); empty or absent: no callback. Retried after 5 s, 30 s, 5 min, 30 min and 1 h until answered HTTP 200.',
  ),
  notificationEncryption: {
    type: ['string', 'boolean'],
    enum: ['true', 'false', true, false],
    description: '`true`: the callback body is `{"jwe": …}` to your merchant key; otherwise plain JSON.',
  },
  comment: text(255, 'A comment.'),
  purpose: text(255, 'The purpose of the payment.'),
  merchantComment: text(255, 'Your comment, not shown to the cardholder.'),
  date,
  customerData,
};
export const cvvUnlessNonCvv = [{ required: ['cvv'] }, { required: ['txnType'] }];

export const maskedPan: Schema = {
  type: 'string',
  pattern: '^[0-9]{6}•+[0-9]{4}$',
  description: 'First six and last four digits, the rest `•`.',
};
export const nullableString: Schema = { type: ['string', 'null'] };

export const REQUEST_ID = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  description: 'A new UUID per request; a value reused within a session is refused (`b_duplicate_field_value`) as a replay.',
};
export const API_VERSION = { type: 'string', description: '`V1` (the gateway’s SDKs send it; not checked).' };
