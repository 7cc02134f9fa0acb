/**
 * An open-loop load generator at a fixed rate, for "p99 at half the max rate".
 *
 * autocannon's `overallRate` is not that: each connection sends back to back until it has used its
 * quota for the current second and then waits for the next one, so the load arrives as a burst at the
 * start of every second (and its coordinated-omission correction assumes a 1 ms interval whatever the
 * rate). Here request i is due at start + i / rate, evenly spaced; a 1 ms timer sends every request that
 * is due on an idle keep-alive connection, and opens more connections (up to 8× the initial number) when
 * none is idle, as independent clients would, so a slow server does not throttle the arrivals. Latency runs
 * from the moment a request is written to the socket until its whole response has been read, with
 * performance.now() (sub-millisecond). How late each request was written against its schedule is
 * recorded too (timer granularity, this process being descheduled, connections being opened): a generator
 * that cannot keep up shows there, not as a good latency.
 */
import net from 'node:net';

export interface PacedRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface PacedOptions {
  /** http://host:port */
  url: string;
  /** Requests per second, evenly spaced. */
  rate: number;
  durationSeconds: number;
  /** Keep-alive connections opened up front; more are opened (up to 8×) while due requests find none idle. */
  connections: number;
  timeoutMs?: number;
  next: () => PacedRequest;
  /** Checks a 2xx response's body; false counts as a mismatch. */
  verify?: (body: string) => boolean;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface PacedResult {
  targetRate: number;
  sent: number;
  completed: number;
  /** Completed responses per second over the scheduled duration. */
  achievedRate: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  statusCodes: Record<string, number>;
  /** From writing the request to reading the last byte of its response, 2xx only, in ms. */
  latencyMs: Percentiles;
  /** How late requests were written against their schedule (timer granularity, connections being opened), in ms. */
  sendLagMs: Percentiles;
  /** The most connections open at once. */
  peakConnections: number;
}

const EMPTY: Percentiles = { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };

export function percentiles(values: Float64Array | number[]): Percentiles {
  const n = values.length;
  if (n === 0) return EMPTY;
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] as number;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1] as number, mean: sum / n };
}

function serialize(req: PacedRequest, host: string): Buffer {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  headers.host ??= host;
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  if (body) headers['content-length'] = String(body.length);
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  head += '\r\n';
  return body ? Buffer.concat([Buffer.from(head), body]) : Buffer.from(head);
}

interface InFlight {
  sentAt: number;
  timer: NodeJS.Timeout;
}

interface Conn {
  socket: net.Socket;
  ready: boolean;
  inFlight: InFlight | null;
  buf: Buffer;
}

/** Parses one complete response at the start of buf: [status, body, bytes used], or null when incomplete. */
function parseResponse(buf: Buffer): [number, Buffer, number] | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const status = Number(head.slice(9, 12));
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (!length) {
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) throw new Error('chunked responses are not supported by the paced generator');
    return [status, Buffer.alloc(0), end + 4];
  }
  const total = end + 4 + Number(length[1]);
  if (buf.length < total) return null;
  return [status, buf.subarray(end + 4, total), total];
}

export async function paced(opts: PacedOptions): Promise<PacedResult> {
  const url = new URL(opts.url);
  const port = Number(url.port || 80);
  const hostname = url.hostname;
  const hostHeader = url.host;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const total = Math.max(1, Math.round(opts.rate * opts.durationSeconds));
  const interval = 1000 / opts.rate;
  const latencies = new Float64Array(total);
  const lags = new Float64Array(total);
  let nLatencies = 0;
  let nLags = 0;
  const statusCodes: Record<string, number> = {};
  let sent = 0;
  let completed = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let mismatches = 0;

  const conns: Conn[] = [];
  const maxConnections = opts.connections * 8;
  let opening = 0;
  let peak = opts.connections;
  const idle: Conn[] = [];
  /** Scheduled times of requests that are due but found no idle connection yet. */
  const due: number[] = [];
  let dueHead = 0;
  let scheduled = 0;
  let start = 0;
  let finished = false;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const settle = (c: Conn) => {
    if (c.inFlight) {
      clearTimeout(c.inFlight.timer);
      c.inFlight = null;
    }
    completed++;
    if (c.ready && !c.socket.destroyed) idle.push(c);
    pump();
  };

  const open = (): Promise<Conn> =>
    new Promise((resolve, reject) => {
      const socket = net.connect(port, hostname);
      socket.setNoDelay(true);
      const c: Conn = { socket, ready: false, inFlight: null, buf: Buffer.alloc(0) };
      socket.once('connect', () => {
        c.ready = true;
        resolve(c);
      });
      socket.on('data', (chunk: Buffer) => {
        c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
        let parsed: [number, Buffer, number] | null;
        try {
          parsed = parseResponse(c.buf);
        } catch (e) {
          errors++;
          socket.destroy(e as Error);
          return;
        }
        if (!parsed || !c.inFlight) return;
        const [status, body, used] = parsed;
        c.buf = c.buf.subarray(used);
        const latency = performance.now() - c.inFlight.sentAt;
        statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        if (status >= 200 && status < 300) {
          latencies[nLatencies++] = latency;
          if (opts.verify && !opts.verify(body.toString('utf8'))) mismatches++;
        } else {
          non2xx++;
        }
        settle(c);
      });
      const lost = () => {
        const wasReady = c.ready;
        c.ready = false;
        const at = idle.indexOf(c);
        if (at >= 0) idle.splice(at, 1);
        const listed = conns.indexOf(c);
        if (listed >= 0) conns.splice(listed, 1);
        if (c.inFlight) {
          errors++;
          settle(c);
        }
        if (!wasReady) reject(new Error(`paced: cannot connect to ${hostHeader}`));
        else if (!finished) {
          // The server closed a keep-alive connection: replace it.
          open().then(
            (fresh) => {
              if (finished) return void fresh.socket.destroy();
              conns.push(fresh);
              peak = Math.max(peak, conns.length);
              idle.push(fresh);
              pump();
            },
            () => {},
          );
        }
      };
      socket.on('error', () => {});
      socket.on('close', lost);
    });

  function send(c: Conn, at: number) {
    const req = opts.next();
    const now = performance.now();
    lags[nLags++] = Math.max(0, now - at);
    c.inFlight = {
      sentAt: now,
      timer: setTimeout(() => {
        // Counted as a timeout, not an error: the connection is dropped (and replaced) without a second count.
        timeouts++;
        c.inFlight = null;
        completed++;
        c.socket.destroy();
        pump();
      }, timeoutMs),
    };
    sent++;
    c.socket.write(serialize(req, hostHeader));
  }

  function pump() {
    while (dueHead < due.length && idle.length > 0) {
      const c = idle.pop() as Conn;
      send(c, due[dueHead++] as number);
    }
    // Requests still waiting: more connections, one per waiting request, within the cap.
    while (!finished && due.length - dueHead > opening && conns.length + opening < maxConnections) {
      opening++;
      open().then(
        (fresh) => {
          opening--;
          if (finished) return void fresh.socket.destroy();
          conns.push(fresh);
          peak = Math.max(peak, conns.length);
          idle.push(fresh);
          pump();
        },
        () => {
          opening--;
          errors++;
        },
      );
    }
    if (dueHead > 4096 && dueHead === due.length) {
      due.length = 0;
      dueHead = 0;
    }
    if (!finished && scheduled === total && dueHead === due.length && completed === sent) {
      finished = true;
      finish();
    }
  }

  function tick() {
    const now = performance.now();
    while (scheduled < total && start + scheduled * interval <= now) {
      due.push(start + scheduled * interval);
      scheduled++;
    }
    pump();
    if (scheduled < total) setTimeout(tick, Math.max(0, start + scheduled * interval - performance.now()));
  }

  for (let i = 0; i < opts.connections; i++) conns.push(await open());
  idle.push(...conns);
  start = performance.now();
  tick();
  const deadline = setTimeout(
    () => {
      finished = true;
      finish();
    },
    opts.durationSeconds * 1000 + timeoutMs + 5000,
  );
  await done;
  clearTimeout(deadline);
  for (const c of conns) {
    if (c.inFlight) clearTimeout(c.inFlight.timer);
    c.socket.destroy();
  }
  return {
    targetRate: opts.rate,
    sent,
    completed,
    achievedRate: completed / opts.durationSeconds,
    non2xx,
    errors,
    timeouts,
    mismatches,
    statusCodes,
    latencyMs: percentiles(latencies.subarray(0, nLatencies)),
    sendLagMs: percentiles(lags.subarray(0, nLags)),
    peakConnections: peak,
  };
}
