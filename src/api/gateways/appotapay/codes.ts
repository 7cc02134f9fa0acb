/**
 * AppotaPay's credit-card error codes as tokenvault answers them (docs/appotapay.md "Codes"), the refusals
 * that carry them and the one place they become AppotaPay's error body.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DeclineCode } from '../../../domain/payment.ts';
import type { VaultErrorCode, VaultFailure } from '../../../vault/errors.ts';
import type { Renderer } from '../../guard.ts';
import type { Problem } from '../../problem.ts';
import { type FieldFault, GatewayRefusal } from '../kit/refusal.ts';

/** errorCode → [HTTP status, English, Vietnamese]. */
export const CODES = {
  1: [400, 'Invalid value', 'Giá trị không hợp lệ'],
  4: [400, 'Transaction already exists', 'Giao dịch đã tồn tại'],
  6: [400, 'Duplicate request', 'Yêu cầu bị trùng lặp'],
  9: [400, 'Transaction failed', 'Giao dịch thất bại'],
  10: [400, 'The transaction was already refunded', 'Giao dịch đã được hoàn tiền'],
  11: [400, 'The transaction cannot be refunded', 'Giao dịch không thể hoàn tiền'],
  12: [400, 'The refund amount exceeds the transaction total', 'Số tiền hoàn vượt quá tổng số tiền giao dịch'],
  14: [404, 'Transaction not found', 'Không tìm thấy giao dịch'],
  25: [400, 'The refund failed', 'Hoàn tiền thất bại'],
  41: [400, 'Invalid payment token', 'Token thanh toán không hợp lệ'],
  43: [404, 'Card token does not exist', 'Token thẻ không tồn tại'],
  45: [400, 'The refund amount is below the minimum', 'Số tiền hoàn nhỏ hơn mức tối thiểu'],
  60: [400, 'Card declined by the issuer', 'Thẻ bị ngân hàng phát hành từ chối'],
  61: [400, 'Invalid card', 'Thẻ không hợp lệ'],
  63: [400, 'Expired card', 'Thẻ đã hết hạn'],
  64: [400, 'Insufficient funds', 'Số dư không đủ'],
  65: [400, 'Card reported lost or stolen', 'Thẻ đã bị báo mất hoặc bị đánh cắp'],
  67: [400, 'Cardholder authentication failed', 'Xác thực chủ thẻ thất bại'],
  70: [400, 'Invalid card verification number (CVN)', 'Mã CVN không hợp lệ'],
  83: [400, 'The refund period has expired', 'Đã hết thời hạn hoàn tiền'],
  84: [400, 'A token creation request with this merchantRefId already exists', 'Yêu cầu tạo token đã tồn tại'],
  86: [403, 'The token does not belong to this merchant', 'Token không thuộc về merchant này'],
  92: [400, 'The token was already used; create another token', 'Token đã được sử dụng, vui lòng tạo token khác'],
  109: [400, 'The token was already deleted', 'Token đã bị xóa'],
  111: [404, 'The refund transaction does not exist', 'Giao dịch hoàn tiền không tồn tại'],
  112: [404, 'The reversal transaction does not exist', 'Giao dịch hủy không tồn tại'],
  113: [400, 'The reversal failed', 'Hủy giao dịch thất bại'],
  114: [400, 'The reversal period has expired', 'Đã hết thời hạn hủy giao dịch'],
  115: [400, 'The transaction was already reversed', 'Giao dịch đã được hủy'],
  116: [400, 'The transaction cannot be reversed', 'Giao dịch không thể hủy'],
  119: [400, 'Invalid X-Account-Ref-ID', 'X-Account-Ref-ID không hợp lệ'],
  401: [401, 'Authentication required', 'Yêu cầu xác thực'],
  429: [429, 'Too many requests, retry later', 'Quá nhiều yêu cầu, vui lòng thử lại sau'],
  500: [503, 'System error, retry later', 'Lỗi hệ thống, vui lòng thử lại sau'],
} as const;
export type Code = keyof typeof CODES;

export type AppotaRefusal = GatewayRefusal<Code>;

/** A refusal with its code, and the fields at fault (answered as `errors`). */
export const refusal = (code: Code, fields: readonly FieldFault[] = []): AppotaRefusal => new GatewayRefusal(code, { fields });

/** errorCode 1 for one field. */
export const invalid = (field: string, reason: string): AppotaRefusal => refusal(1, [{ field, reason }]);

/** The audited authentication scheme: X-APPOTAPAY-AUTH's HS256 JWT. */
export const SCHEME = 'jwt-hs256';

/** A refused X-APPOTAPAY-AUTH: why, and the merchant the api_key named when it is known. */
export const authRefusal = (reason: string, merchantId?: string): AppotaRefusal =>
  new GatewayRefusal<Code>(401, { auth: { scheme: SCHEME, reason, ...(merchantId === undefined ? {} : { merchantId }) } });

export const isAppotaRefusal = (e: unknown): e is AppotaRefusal => e instanceof GatewayRefusal && e.code in CODES;

export const DECLINES: Record<DeclineCode, Code> = {
  do_not_honor: 60,
  expired_card: 63,
  insufficient_funds: 64,
  lost_card: 65,
  stolen_card: 65,
  invalid_cvv: 70,
  authentication_failed: 67,
};

/** Vault refusals that are one AppotaPay code as they are. */
const BY_FAILURE: Partial<Record<VaultErrorCode, Code>> = {
  card_not_found: 43,
  token_deleted: 109,
  token_consumed: 92,
  token_suspended: 41,
  token_expired: 63,
  payment_not_found: 14,
  processor_unavailable: 500,
};

/** A vault refusal of a token or payment operation, as AppotaPay's code. */
export function paymentFailure(f: VaultFailure): AppotaRefusal {
  const code = BY_FAILURE[f.error];
  if (code !== undefined) return refusal(code);
  if (f.error === 'amount_exceeds_authorized') return invalid('amount', f.detail ?? 'exceeds what is left to capture');
  if (f.error === 'invalid_amount') return invalid('amount', f.detail ?? 'is not valid');
  return refusal(9, [{ field: 'status', reason: f.detail ?? f.error }]);
}

const language = (request: FastifyRequest): 'vi' | 'en' => (request.headers.language === 'en' ? 'en' : 'vi');

/** AppotaPay's error body: the code, its message in the request's Language, and the fields at fault. */
export function render(reply: FastifyReply, e: AppotaRefusal): FastifyReply {
  const [status, en, vi] = CODES[e.code];
  const errors = e.fields.map(({ field, reason }) => ({ field, reason }));
  return reply
    .code(status)
    .send({ errorCode: e.code, message: language(reply.request) === 'en' ? en : vi, ...(errors.length ? { errors } : {}) });
}

/** The guard's refusals (a malformed URL, too many requests, the database down) in AppotaPay's shape. */
export const guardRenderer: Renderer = (reply, status) =>
  render(reply, status === 400 ? invalid('path', 'is malformed') : refusal(status === 429 ? 429 : 500));

/** What the framework refused before an operation ran (body too large, unreadable), in AppotaPay's shape. */
export const renderProblem = (reply: FastifyReply, p: Problem): FastifyReply =>
  render(reply, p.status >= 500 ? refusal(500) : invalid('body', p.status === 413 ? 'is too large' : 'is not acceptable'));
