// A row builder thread of bench/bulk.ts. Worker threads do not inherit tsx's loader, so this plain
// module registers it before importing the TypeScript side.
import { register } from 'tsx/esm/api';

register();
await import('./bulk-worker-thread.ts');
