/**
 * tokenvault card elements, the script a merchant's page includes:
 *
 *   <script src="https://vault.example/elements/v1/tokenvault.js"></script>
 *   const card = TokenVault('tv_pk_…').card({ container: '#card' });
 *   card.on('change', (e) => { … e.complete, e.brand, e.error … });
 *   const { token, brand, last4, expMonth, expYear } = await card.tokenize({ customer: 'cus_…' });
 *
 * The card fields live in an iframe served by the vault; this page never sees what is typed there.
 */
import { errorOf, isMessage, MSG, message } from './protocol.js';

const PUBLISHABLE = /^tv_pk_[A-Za-z0-9_-]{8,200}$/;
const EVENTS = ['ready', 'change'];
const scriptOrigin = document.currentScript?.src ? new URL(document.currentScript.src).origin : null;
let channels = 0;

function containerOf(container) {
  const el = typeof container === 'string' ? document.querySelector(container) : container;
  if (!(el instanceof Element)) throw new TypeError('TokenVault card(): `container` must be a CSS selector or an element of the page');
  return el;
}

function newChannel() {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  channels += 1;
  return `c${channels}${Array.from(bytes, (b) => b.toString(36)).join('')}`.slice(0, 40);
}

/** Only the documented fields of an answer reach the page. */
const resultOf = (r) => ({ token: r.token, brand: r.brand, last4: r.last4, expMonth: r.expMonth, expYear: r.expYear });

function createCard(publishableKey, base, options) {
  const channel = newChannel();
  const root = base.endsWith('/') ? base : `${base}/`;
  const src = new URL('elements/v1/card', root);
  const vaultOrigin = src.origin;
  src.searchParams.set('key', publishableKey);
  src.searchParams.set('origin', window.location.origin);
  src.searchParams.set('channel', channel);

  const iframe = document.createElement('iframe');
  iframe.src = src.href;
  iframe.title = options.title ?? 'Secure card payment form';
  iframe.setAttribute('scrolling', 'no');
  iframe.style.cssText = 'border:0;width:100%;height:210px;display:block;overflow:hidden;background:transparent;';

  const handlers = { ready: [], change: [] };
  const pending = new Map();
  const queued = [];
  let ready = false;
  let requests = 0;

  const post = (type, body) => iframe.contentWindow?.postMessage(message(channel, type, body), vaultOrigin);
  const emit = (event, payload) => {
    for (const handler of handlers[event]) handler(payload);
  };

  function onMessage(event) {
    // Only the vault's iframe of this element speaks here.
    if (event.origin !== vaultOrigin || event.source !== iframe.contentWindow) return;
    const m = event.data;
    if (!isMessage(m, channel)) return;
    if (m.type === MSG.READY) {
      ready = true;
      for (const send of queued.splice(0)) send();
      emit('ready', {});
    } else if (m.type === MSG.CHANGE) {
      emit('change', { complete: m.complete === true, brand: String(m.brand ?? 'unknown'), error: m.error ? errorOf(m.error) : null });
    } else if (m.type === MSG.RESIZE && Number.isFinite(m.height) && m.height > 0 && m.height < 2000) {
      iframe.style.height = `${Math.ceil(m.height)}px`;
    } else if (m.type === MSG.RESULT) {
      const waiting = pending.get(m.request);
      if (!waiting) return;
      pending.delete(m.request);
      if (m.ok === true) waiting.resolve(resultOf(m.result ?? {}));
      else waiting.reject(errorOf(m.error));
    }
  }
  window.addEventListener('message', onMessage);
  containerOf(options.container).appendChild(iframe);

  return {
    /** `ready` (the fields can be typed in) or `change` ({ complete, brand, error }). */
    on(event, handler) {
      if (!EVENTS.includes(event)) throw new TypeError(`TokenVault card: unknown event "${event}" (ready, change)`);
      if (typeof handler !== 'function') throw new TypeError('TokenVault card: the handler must be a function');
      handlers[event].push(handler);
      if (event === 'ready' && ready) queueMicrotask(() => handler({}));
      return this;
    },
    /** Sends the card to the vault: resolves with { token, brand, last4, expMonth, expYear }, rejects with { code, message }. */
    tokenize(opts = {}) {
      return new Promise((resolve, reject) => {
        requests += 1;
        const request = requests;
        pending.set(request, { resolve, reject });
        const customer = typeof opts.customer === 'string' ? opts.customer : null;
        const send = () => post(MSG.TOKENIZE, { request, customer });
        if (ready) send();
        else queued.push(send);
      });
    },
    /** Removes the iframe; tokenize calls still waiting reject. */
    destroy() {
      window.removeEventListener('message', onMessage);
      iframe.remove();
      for (const waiting of pending.values()) waiting.reject({ code: 'destroyed', message: 'The card form was removed.' });
      pending.clear();
    },
  };
}

function TokenVault(publishableKey, options = {}) {
  // A secret key must never reach a browser: only a publishable one is taken.
  if (typeof publishableKey !== 'string' || !PUBLISHABLE.test(publishableKey)) {
    throw new TypeError('TokenVault: pass a publishable key (tv_pk_…), never a secret one');
  }
  const base = options.baseUrl ?? scriptOrigin;
  if (!base) throw new TypeError('TokenVault: give { baseUrl }, the address of the vault');
  return { card: (cardOptions = {}) => createCard(publishableKey, String(base), cardOptions) };
}

window.TokenVault = TokenVault;
