/**
 * The two HTML documents of card elements: the card iframe (static: what varies is read by its script from its
 * own URL) and the demo checkout page; and the Content-Security-Policy each is sent with. Neither holds inline
 * script or style, so `script-src` and `style-src` need no 'unsafe-inline'.
 */

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The card iframe's policy: framed only by `ancestors` (a publishable key's origins), loading only from the vault. */
export function cardPolicy(ancestors: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${ancestors.length ? ancestors.join(' ') : "'none'"}`,
  ].join('; ');
}

/** The demo page's policy: its own scripts and styles, and the vault's card iframe (same origin). */
export const DEMO_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "frame-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The iframe document. Paths are relative to /elements/v1/card, so a vault served under a path prefix works too. */
export const CARD_DOCUMENT = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Card details</title>
<link rel="stylesheet" href="assets/card.css">
<script src="assets/card.js" defer></script>
</head>
<body>
<form id="card" novalidate autocomplete="on">
<div class="field full">
<label for="number">Card number</label>
<input id="number" name="number" type="text" inputmode="numeric" autocomplete="cc-number" autocorrect="off" spellcheck="false" maxlength="23" aria-describedby="error">
</div>
<div class="field">
<label for="expiry">Expiry (MM / YY)</label>
<input id="expiry" name="expiry" type="text" inputmode="numeric" autocomplete="cc-exp" placeholder="MM / YY" maxlength="9" aria-describedby="error">
</div>
<div class="field">
<label for="cvc">Security code</label>
<input id="cvc" name="cvc" type="text" inputmode="numeric" autocomplete="cc-csc" placeholder="CVC" maxlength="4" aria-describedby="error">
</div>
<div class="field full">
<label for="holderName">Name on card</label>
<input id="holderName" name="holderName" type="text" autocomplete="cc-name" maxlength="100" aria-describedby="error">
</div>
<p id="error" class="error" role="alert" aria-live="polite"></p>
</form>
</body>
</html>
`;

/** The demo checkout page, with the demo's publishable key for its script. */
export function demoPage(publishableKey: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Checkout: tokenvault card elements demo</title>
<link rel="stylesheet" href="v1/assets/demo.css">
<script src="v1/tokenvault.js"></script>
<script src="v1/assets/demo.js" defer></script>
</head>
<body data-publishable-key="${escapeHtml(publishableKey)}">
<main>
<h1>Checkout</h1>
<p class="note">A demo of tokenvault card elements: the card fields below are an iframe served by the vault, so this page never sees the card number.</p>
<div class="order"><span>Tea for two</span><strong>$24.00</strong></div>
<h2>Card <span id="brand" class="brand"></span></h2>
<div id="card-element"></div>
<button id="pay" type="button">Pay $24.00</button>
<p id="status" class="status" role="status" aria-live="polite">Loading the card form…</p>
<pre id="result" hidden></pre>
<p class="note">Use a test card from the README (the simulator's cards), any future expiry and any security code.</p>
</main>
</body>
</html>
`;
}
