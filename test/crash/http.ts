/**
 * A small HTTP client over node:http that tells the three outcomes of a request apart: an answer (any
 * status), no answer after the request may have reached the server (ambiguous: the server may or may not
 * have committed it), and a refused connection (the request never reached any server).
 */
import http from 'node:http';

export interface Target {
  port: number;
  agent: http.Agent;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  ms: number;
}

export class NoReply extends Error {
  constructor(
    /** ECONNRESET, socket hang up, TIMEOUT … */
    readonly code: string,
    /** False only when the connection was refused: nothing was delivered. */
    readonly delivered: boolean,
    readonly ms: number,
  ) {
    super(`no reply (${code})`);
  }
}

export function send(
  target: Target,
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void) => {
      if (!done) {
        done = true;
        fn();
      }
    };
    const req = http.request(
      {
        host: '127.0.0.1',
        port: target.port,
        method,
        path: urlPath,
        agent: target.agent,
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          finish(() =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          ),
        );
        res.on('error', (e: NodeJS.ErrnoException) =>
          finish(() => reject(new NoReply(e.code ?? e.message, true, performance.now() - started))),
        );
        res.on('aborted', () => finish(() => reject(new NoReply('ABORTED', true, performance.now() - started))));
      },
    );
    const timer = setTimeout(() => {
      finish(() => reject(new NoReply('TIMEOUT', true, performance.now() - started)));
      req.destroy();
    }, timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? e.message;
      finish(() => reject(new NoReply(code, code !== 'ECONNREFUSED', performance.now() - started)));
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** JSON of a reply, or undefined when it is not JSON. */
export function jsonOf(r: Reply): unknown {
  try {
    return r.text === '' ? undefined : JSON.parse(r.text);
  } catch {
    return undefined;
  }
}
