/**
 * The messages between a merchant's page (tokenvault.js) and the card iframe (card-frame.js). Each side checks
 * the sender's origin and window before reading one, and sends only to the other's origin. No message from the
 * iframe carries a card field: `change` says whether the form is complete, the brand and an error code; a
 * `result` carries the token and the masked fields, or an error code.
 */
export const SOURCE = 'tokenvault-elements';

export const MSG = Object.freeze({
  READY: 'ready',
  CHANGE: 'change',
  RESIZE: 'resize',
  TOKENIZE: 'tokenize',
  RESULT: 'result',
});

/** A message of this protocol, on one iframe's channel. */
export const message = (channel, type, body) => ({ source: SOURCE, channel, type, ...body });

export const isMessage = (data, channel) =>
  data !== null && typeof data === 'object' && data.source === SOURCE && data.channel === channel && typeof data.type === 'string';

/** The error object of a `change` event or a rejection: a code and a message, nothing else. */
export const errorOf = (e) => ({
  code: String(e?.code ?? 'tokenize_failed'),
  message: String(e?.message ?? 'The card could not be saved.'),
});
