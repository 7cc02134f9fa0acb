/** AppotaPay's credit-card error codes as tokenvault answers them (docs/appotapay.md "Codes"). */

/** errorCode → [HTTP status, English, Vietnamese]. */
export const CODES = {
  1: [400, 'Invalid value', 'Giá trị không hợp lệ'],
  4: [400, 'Transaction already exists', 'Giao dịch đã tồn tại'],
  6: [400, 'Duplicate request', 'Yêu cầu bị trùng lặp'],
  9: [400, 'Transaction failed', 'Giao dịch thất bại'],
  14: [404, 'Transaction not found', 'Không tìm thấy giao dịch'],
  41: [400, 'Invalid payment token', 'Token thanh toán không hợp lệ'],
  43: [404, 'Card token does not exist', 'Token thẻ không tồn tại'],
  60: [400, 'Card declined by the issuer', 'Thẻ bị ngân hàng phát hành từ chối'],
  61: [400, 'Invalid card', 'Thẻ không hợp lệ'],
  63: [400, 'Expired card', 'Thẻ đã hết hạn'],
  64: [400, 'Insufficient funds', 'Số dư không đủ'],
  65: [400, 'Card reported lost or stolen', 'Thẻ đã bị báo mất hoặc bị đánh cắp'],
  67: [400, 'Cardholder authentication failed', 'Xác thực chủ thẻ thất bại'],
  70: [400, 'Invalid card verification number (CVN)', 'Mã CVN không hợp lệ'],
  84: [400, 'A token creation request with this merchantRefId already exists', 'Yêu cầu tạo token đã tồn tại'],
  86: [403, 'The token does not belong to this merchant', 'Token không thuộc về merchant này'],
  92: [400, 'The token was already used; create another token', 'Token đã được sử dụng, vui lòng tạo token khác'],
  109: [400, 'The token was already deleted', 'Token đã bị xóa'],
  119: [400, 'Invalid X-Account-Ref-ID', 'X-Account-Ref-ID không hợp lệ'],
  401: [401, 'Authentication required', 'Yêu cầu xác thực'],
  429: [429, 'Too many requests, retry later', 'Quá nhiều yêu cầu, vui lòng thử lại sau'],
  500: [503, 'System error, retry later', 'Lỗi hệ thống, vui lòng thử lại sau'],
} as const;
export type Code = keyof typeof CODES;
