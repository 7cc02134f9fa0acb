/**
 * The request a piece of work is done for, carried across awaits (AsyncLocalStorage), so the audit writer can
 * name the request id of the HTTP request that caused an event without every service passing it along.
 * Work outside a request (the CLI, timers) runs with no context: its events carry no request id.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it awaits or schedules) as part of the request `ctx`. */
export const runInRequest = <T>(ctx: RequestContext, fn: () => T): T => storage.run(ctx, fn);

/** The id of the request being served, or null outside any request. */
export const currentRequestId = (): string | null => storage.getStore()?.requestId ?? null;
