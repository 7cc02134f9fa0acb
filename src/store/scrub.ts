/**
 * Remembers what was deleted that must not survive in the database files, and scrubs it on the next sweep
 * (StoreHandle.scrub): one scrub covers every deletion made before it, however many there were.
 */
import type { ScrubbedTable } from './db.ts';

export interface Scrubber {
  /** Records a deletion of secrets (rows of `tables`, or other values wiped in place: an empty list). */
  wiped(tables: readonly ScrubbedTable[]): void;
  /** Scrubs everything recorded so far; false when it could not finish (it stays recorded for the next call). */
  scrub(): Promise<boolean>;
}

export function createScrubber(run: (tables: readonly ScrubbedTable[]) => Promise<boolean>): Scrubber {
  let pending: Set<ScrubbedTable> | null = null;
  let running: Promise<boolean> | null = null;
  return {
    wiped(tables) {
      pending ??= new Set();
      for (const t of tables) pending.add(t);
    },
    async scrub() {
      while (running) await running.catch(() => false);
      const tables = pending;
      if (tables === null) return true;
      pending = null;
      running = run([...tables]);
      let done = false;
      try {
        done = await running;
        return done;
      } finally {
        running = null;
        if (!done) this.wiped([...tables]);
      }
    },
  };
}
