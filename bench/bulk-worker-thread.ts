/**
 * A row builder thread of bench/bulk.ts (started through bulk-worker.mjs): opens the vault with the
 * server's configuration for its keyring, then answers each BuildJob with a BuiltBatch, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openVault } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { type BuildJob, buildBatch, type PanSpec } from './bulk.ts';

const data = workerData as { env: NodeJS.ProcessEnv; merchantId: string; spec: PanSpec };
const port = parentPort;
if (!port) throw new Error('bulk-worker-thread runs as a worker thread');
const vault = await openVault(loadConfig(data.env), { migrate: false });
let queue = Promise.resolve();
port.on('message', (job: BuildJob) => {
  queue = queue.then(async () => {
    try {
      port.postMessage({ from: job.from, batch: await buildBatch(vault, data.merchantId, data.spec, job) });
    } catch (e) {
      port.postMessage({ from: job.from, error: (e as Error).message });
    }
  });
});
