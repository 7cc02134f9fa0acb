/**
 * The card iframe's script (GET /elements/v1/card). The card fields exist only in this document: it checks them
 * with the vault's own card rules (src/domain/card.ts, bundled in), tells the page whether the form is complete
 * and what is wrong (codes and fixed messages, never a digit typed), and sends the card straight to the vault.
 */
import {
  brandNames,
  cvvValid,
  detectBrand,
  isExpired,
  isTooFarInFuture,
  panLengths,
  parseExpirySlash,
  parsePan,
} from '../../../domain/card.ts';
import { errorOf, isMessage, MSG, message } from './protocol.js';

const params = new URLSearchParams(window.location.search);
const KEY = params.get('key') ?? '';
const PARENT_ORIGIN = params.get('origin') ?? '';
const CHANNEL = params.get('channel') ?? '';

/** What the shopper reads, by code: fixed texts, so nothing typed can come back in one. */
const MESSAGES = {
  incomplete_number: 'Enter the card number.',
  invalid_card_number: 'This card number is not valid.',
  incomplete_expiry: 'Enter the expiry date as MM / YY.',
  invalid_expiry: 'This expiry date is not valid.',
  card_expired: 'This card has expired.',
  incomplete_cvc: 'Enter the security code.',
  invalid_cvv: 'This security code is not valid for this card.',
  rate_limited: 'Too many attempts. Wait a minute, then try again.',
  network_error: 'The card could not be sent. Check the connection, then try again.',
  busy: 'The card is already being sent.',
};
const fail = (code) => ({ code, message: MESSAGES[code] ?? 'The card could not be saved.' });

const form = document.getElementById('card');
const fields = { number: form.elements.number, expiry: form.elements.expiry, cvc: form.elements.cvc, holderName: form.elements.holderName };
const errorBox = document.getElementById('error');
const touched = new Set();
let sending = false;
let lastChange = '';

const digitsOf = (text) => text.replace(/[\s-]/g, '');

function numberState(text) {
  const digits = digitsOf(text);
  if (digits === '') return { state: 'empty', brand: 'UNKNOWN' };
  if (!/^[0-9]+$/.test(digits)) return { state: 'invalid', code: 'invalid_card_number', brand: 'UNKNOWN' };
  const brand = detectBrand(digits);
  const pan = parsePan(digits);
  if (pan.ok) return { state: 'complete', pan: pan.value, brand };
  // A length the brand issues that fails the rules is wrong now; a shorter one may still be typed to its end.
  const still = pan.error === 'pan_length' && digits.length < Math.max(...panLengths(digits));
  return still ? { state: 'incomplete', brand } : { state: 'invalid', code: 'invalid_card_number', brand };
}

function expiryState(text) {
  const compact = text.replace(/\s+/g, '');
  if (compact === '') return { state: 'empty' };
  // 12/30, 12 / 30, 12/2030 and 1230.
  const parsed = parseExpirySlash(/^[0-9]{4}$/.test(compact) ? `${compact.slice(0, 2)}/${compact.slice(2)}` : compact);
  if (!parsed.ok)
    return /^[0-9]{0,2}\/?[0-9]?$|^[0-9]{2}\/[0-9]{3}$/.test(compact)
      ? { state: 'incomplete' }
      : { state: 'invalid', code: 'invalid_expiry' };
  const now = new Date();
  if (isExpired(parsed.value, now)) return { state: 'invalid', code: 'card_expired' };
  if (isTooFarInFuture(parsed.value, now)) return { state: 'invalid', code: 'invalid_expiry' };
  return { state: 'complete', expiry: parsed.value };
}

function cvcState(text, brand) {
  const cvc = text.trim();
  if (cvc === '') return { state: 'empty' };
  if (cvvValid(brand, cvc)) return { state: 'complete', cvc };
  return /^[0-9]{1,3}$/.test(cvc) ? { state: 'incomplete' } : { state: 'invalid', code: 'invalid_cvv' };
}

/** The whole form: each field's state, whether it can be sent, and the first error to show. */
function formState() {
  const number = numberState(fields.number.value);
  const expiry = expiryState(fields.expiry.value);
  const cvc = cvcState(fields.cvc.value, number.state === 'complete' ? number.brand : detectBrand(digitsOf(fields.number.value)));
  const states = { number, expiry, cvc };
  const complete = number.state === 'complete' && expiry.state === 'complete' && cvc.state === 'complete';
  // The number's error shows as soon as it is certain; the others once the shopper has left the field.
  const shown = Object.entries(states).find(([name, s]) => s.state === 'invalid' && (name === 'number' || touched.has(name)));
  return { states, complete, brand: number.brand, error: shown ? fail(shown[1].code) : null };
}

const post = (type, body) => {
  if (window.parent !== window && PARENT_ORIGIN) window.parent.postMessage(message(CHANNEL, type, body), PARENT_ORIGIN);
};

function show(error, states) {
  errorBox.textContent = error ? error.message : '';
  for (const [name, s] of Object.entries(states)) fields[name].setAttribute('aria-invalid', String(s.state === 'invalid' && !!error));
  post(MSG.RESIZE, { height: document.documentElement.scrollHeight });
}

function onChange() {
  const s = formState();
  show(s.error, s.states);
  const change = { complete: s.complete, brand: brandNames(s.brand).lower, error: s.error };
  const text = JSON.stringify(change);
  if (text === lastChange) return;
  lastChange = text;
  post(MSG.CHANGE, change);
}

/** The first field that stops the card from being sent, as an error (an empty one counts as incomplete). */
function blocking(states) {
  for (const [name, s] of Object.entries(states)) {
    if (s.state === 'invalid') return fail(s.code);
    if (s.state !== 'complete') return fail(`incomplete_${name}`);
  }
  return null;
}

async function send(s, customer) {
  const holderName = fields.holderName.value.trim();
  const body = {
    number: s.states.number.pan,
    expMonth: s.states.expiry.expiry.month,
    expYear: s.states.expiry.expiry.year,
    cvc: s.states.cvc.cvc,
    ...(holderName ? { holderName } : {}),
    ...(customer ? { customer } : {}),
  };
  let res;
  try {
    res = await fetch(`tokens?key=${encodeURIComponent(KEY)}&origin=${encodeURIComponent(PARENT_ORIGIN)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    return { ok: false, error: fail('network_error') };
  }
  const answer = await res.json().catch(() => null);
  if (res.status === 201 && answer) return { ok: true, result: answer };
  return { ok: false, error: fail(typeof answer?.code === 'string' ? answer.code : 'tokenize_failed') };
}

async function tokenize(request, customer) {
  for (const name of Object.keys(fields)) touched.add(name);
  const s = formState();
  const refused = blocking(s.states);
  show(refused, s.states);
  if (refused) return post(MSG.RESULT, { request, ok: false, error: refused });
  if (sending) return post(MSG.RESULT, { request, ok: false, error: fail('busy') });
  sending = true;
  try {
    const r = await send(s, customer);
    if (!r.ok) show(r.error, s.states);
    const { token, brand, last4, expMonth, expYear } = r.result ?? {};
    post(
      MSG.RESULT,
      r.ok ? { request, ok: true, result: { token, brand, last4, expMonth, expYear } } : { request, ok: false, error: errorOf(r.error) },
    );
  } finally {
    sending = false;
  }
}

window.addEventListener('message', (event) => {
  // Only the page this iframe was made for, through its own window, may ask for anything.
  if (event.origin !== PARENT_ORIGIN || event.source !== window.parent) return;
  const m = event.data;
  if (!isMessage(m, CHANNEL) || m.type !== MSG.TOKENIZE || !Number.isInteger(m.request)) return;
  tokenize(m.request, typeof m.customer === 'string' && m.customer.length <= 64 ? m.customer : null);
});

for (const [name, input] of Object.entries(fields)) {
  input.addEventListener('input', onChange);
  input.addEventListener('blur', () => {
    touched.add(name);
    onChange();
  });
}
form.addEventListener('submit', (event) => event.preventDefault());
post(MSG.READY, {});
post(MSG.RESIZE, { height: document.documentElement.scrollHeight });
