/**
 * The Cybersource TMS and PTS wire shapes as JSON Schema, for the OpenAPI document (src/api/openapi.ts).
 * The handlers read and refuse fields by hand (operations/*.ts, fields.ts); these schemas say exactly
 * what those readers accept, and test/gateways/cybersource/openapi.test.ts holds the two together.
 * Objects are open (unknown members are ignored, as Cybersource does), so only what is read is typed.
 */
export * from './common.ts';
export * from './errors.ts';
export * from './examples.ts';
export * from './payments.ts';
export * from './tms.ts';
