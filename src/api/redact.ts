/** Log hygiene: a digit run that could be a card number is masked before a URL reaches a log line. */
export function redactUrl(url: string): string {
  return url.replace(/\d{12,19}/g, (d) => `${'*'.repeat(d.length - 4)}${d.slice(-4)}`);
}
