/** AlliancePay's error table as tokenvault serves it (docs/alliancepay.md): msgCode → HTTP status, msgText. */
export const CODES = {
  b_encryptor_failed_decrypt_message: [200, 'Failed to decrypt message'],
  b_virtual_device_not_found: [200, 'Virtual device not found'],
  b_refresh_token_absent: [200, 'Refresh token is absent'],
  b_merchant_not_found: [200, 'Merchant not found'],
  b_invalid_request: [200, 'Invalid request'],
  b_invalid_pan_format: [200, 'Invalid PAN format'],
  b_validation_card_expiration_date: [200, 'Card expiration date must be 4 digits YYMM and not in the past'],
  b_token_not_found: [200, 'Token not found'],
  b_token_not_active: [200, 'Token is not active'],
  b_duplicate_field_value: [400, 'Duplicate field value'],
  b_error_parse_json: [400, 'Error parsing JSON'],
  b_user_merchant_request_mismatch: [400, 'Merchant in the request does not match the session'],
  b_txn_not_allowed: [400, 'Transaction not allowed'],
  b_unknown_device: [401, 'Unknown device'],
  b_used_token: [401, '@Used Token Alert!'],
  b_expired_token: [401, 'Token expired'],
  payment_operation_not_found: [404, 'Payment operation not found'],
  b_server_is_overloaded: [503, 'Server is overloaded, retry later'],
  b_too_many_requests: [429, 'Too many requests, retry later'],
} as const;
export type Code = keyof typeof CODES;
