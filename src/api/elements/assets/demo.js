/**
 * The demo checkout page's own script (GET /elements/demo): what a merchant writes around tokenvault.js. Its
 * publishable key comes from the page (data-publishable-key), set by the server that made it.
 */
const key = document.body.dataset.publishableKey;
const pay = document.getElementById('pay');
const status = document.getElementById('status');
const result = document.getElementById('result');

const card = window.TokenVault(key).card({ container: '#card-element' });
card.on('ready', () => {
  status.textContent = '';
});
card.on('change', (event) => {
  status.textContent = event.error ? event.error.message : '';
  status.className = event.error ? 'status error' : 'status';
  document.getElementById('brand').textContent = event.brand === 'unknown' ? '' : event.brand;
});
pay.addEventListener('click', async () => {
  pay.disabled = true;
  status.className = 'status';
  status.textContent = 'Saving the card…';
  try {
    const saved = await card.tokenize();
    status.textContent = `Saved: ${saved.brand} ending in ${saved.last4}. Your server now pays with the token (POST /v1/payments, secret key).`;
    result.textContent = JSON.stringify(saved, null, 2);
    result.hidden = false;
  } catch (error) {
    status.className = 'status error';
    status.textContent = error.message;
  } finally {
    pay.disabled = false;
  }
});
