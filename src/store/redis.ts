/**
 * The Redis connection used when `TOKENVAULT_REDIS_URL` is set: rate limits, lockout counters and replay claims
 * live there so that every instance shares them. One connection per process; commands wait (briefly) while it
 * reconnects and then fail, so a caller can fall back or refuse instead of hanging.
 */
import { Redis } from 'ioredis';

export type RedisClient = Redis;

export function openRedis(url: string, onError: (message: string) => void): RedisClient {
  const client = new Redis(url, {
    // A command fails after one retry instead of queueing forever while Redis is away.
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // Keys of different deployments sharing one Redis never meet.
    keyPrefix: 'tokenvault:',
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // ioredis emits 'error' on every failed reconnect: reported once per outage (the message only; the URL, which
  // may carry a password, never).
  let reported = false;
  client.on('ready', () => {
    reported = false;
  });
  client.on('error', (e: Error) => {
    if (reported) return;
    reported = true;
    onError(e.message);
  });
  return client;
}
