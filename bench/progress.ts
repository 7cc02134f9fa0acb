/**
 * A progress bar on stderr with the rate and the time left: redrawn in place on a terminal, one line every
 * few seconds otherwise (a log file gets no carriage-return noise).
 *
 *   preload   [########............]  412,000 / 1,000,000   38,100 cards/s  eta 15 s
 */
const BAR_WIDTH = 20;

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const started = performance.now();
  let lastPrint = started;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  return (done: number, total: number) => {
    const now = performance.now();
    const finished = done >= total;
    if (!finished && now - lastPrint < (stream.isTTY ? 200 : 5000)) return;
    lastPrint = now;
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : 0;
    const width = fmt(total).length;
    const filled = Math.min(BAR_WIDTH, Math.floor((done / total) * BAR_WIDTH));
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
    const tail = finished ? `done in ${seconds.toFixed(1)} s` : `eta ${Math.ceil(eta)} s`;
    const line = `${label.padEnd(9)} ${bar}  ${fmt(done).padStart(width)} / ${fmt(total)}  ${fmt(rate).padStart(6)} cards/s  ${tail}`;
    if (stream.isTTY) stream.write(`\r${line.padEnd(100)}${finished ? '\n' : ''}`);
    else stream.write(`${line}\n`);
  };
}
