/**
 * Request correlation: every request has an id — the client's `X-Request-Id` when it is short and made of safe
 * characters, a random UUID otherwise — answered as `x-request-id` by every API, bound to each log line of the
 * request (`reqId`, and `merchant` once authenticated) and carried to the audit events it writes.
 */
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { runInRequest } from '../audit/request-context.ts';
import { containsCardNumber } from '../domain/pan-detector.ts';
import { problem } from './problem.ts';

export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Fastify's genReqId (with requestIdHeader off: Fastify would take any header value as it came). A value that
 * is too long, holds other characters (a repeated header arrives joined by ", ") or holds a card number is
 * replaced, so it is never echoed or logged.
 */
export function requestIdOf(req: IncomingMessage): string {
  const sent = req.headers[REQUEST_ID_HEADER];
  if (typeof sent === 'string' && SAFE_REQUEST_ID.test(sent) && !containsCardNumber(sent)) return sent;
  return randomUUID();
}

/** Each request's async scope, entered again once its body has been read. */
const scopes = new WeakMap<FastifyRequest, AsyncResource>();

/**
 * Registered first on the root instance, so every answer — hook refusals, 404s, body errors included — carries
 * the id. The request's work runs in its request context (audit/request-context.ts). What follows the body's
 * 'end' event may run in the socket's async context rather than the one entered here, so preValidation enters
 * it again (the pattern of @fastify/request-context).
 */
export function registerRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    runInRequest({ requestId: request.id }, () => {
      const scope = new AsyncResource('tokenvault-request');
      scopes.set(request, scope);
      scope.runInAsyncScope(done, request.raw);
    });
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const scope = scopes.get(request);
    if (scope) scope.runInAsyncScope(done, request.raw);
    else done();
  });
}

/** Names the authenticated merchant in every later log line of the request (reply.log is the same logger). */
export function bindMerchant(request: FastifyRequest, merchantId: string): void {
  // With logging off (logger: false) the request's logger has no bindings to set.
  const log = request.log as { setBindings?: (b: Record<string, string>) => void };
  log.setBindings?.({ merchant: merchantId });
}

/**
 * Requests Node's parser refuses before Fastify sees them (a head over the limit, a request not received in
 * time, a malformed request line): answered like every other, with an x-request-id and a problem+json body
 * (the path is not known yet, so not in a gateway's shape), and logged with that id.
 */
export function clientErrorHandler(this: FastifyInstance, err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const p =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? problem('header_too_large', 'the request line and headers exceed the limit')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? problem('request_timeout', 'the request was not received in time')
        : problem('invalid_request', 'the request could not be parsed');
  const id = randomUUID();
  this.log.info({ reqId: id, status: p.status, reason: err.code ?? 'client_error' }, 'request refused by the HTTP parser');
  if (socket.writable) {
    const body = JSON.stringify(p);
    socket.write(
      `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${REQUEST_ID_HEADER}: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
