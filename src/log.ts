/**
 * Where the server's lines go: one stream for the request log (app.ts) and for the process's own lines
 * (start-up, shutdown, workers), so everything the server writes is JSON lines, or, with LOG_FORMAT=pretty,
 * lines for a person (pino-pretty, synchronous: nothing is lost when the process exits).
 */
import { pino } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { Config } from './config.ts';

export type Logger = pino.Logger;
export type LogStream = pino.DestinationStream;

export function logDestination(config: Pick<Config, 'logFormat'>): LogStream {
  if (config.logFormat === 'pretty') {
    return PinoPretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  }
  return pino.destination({ dest: 1, sync: true });
}

/** The process's own logger (not a request's), on the same stream as the request log. */
export function processLogger(config: Pick<Config, 'logLevel'>, stream: LogStream): Logger {
  return pino({ level: config.logLevel }, stream);
}
