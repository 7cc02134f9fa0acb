/** Window keys (see crypto/window-keys.ts): wrapped keys by window end, deleted when their window ends. */
import type { Executor } from './db.ts';

export const windowKeyStore = {
  find: async (q: Executor, id: string): Promise<string | undefined> =>
    (await q.selectFrom('window_keys').select('wrapped').where('id', '=', id).executeTakeFirst())?.wrapped,

  /** Insert-or-keep: of two instances making the same window's key at once, the first one stored wins. */
  async create(q: Executor, id: string, wrapped: string, endsAt: string, at: string): Promise<string> {
    await q
      .insertInto('window_keys')
      .values({ id, wrapped, ends_at: endsAt, created_at: at })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const stored = await windowKeyStore.find(q, id);
    if (stored === undefined) throw new Error('window key vanished while it was being made');
    return stored;
  },

  /** Destroys every key whose window has ended; returns how many. */
  async deleteEnded(q: Executor, now: string): Promise<number> {
    const res = await q.deleteFrom('window_keys').where('ends_at', '<=', now).executeTakeFirst();
    return Number(res.numDeletedRows);
  },

  all: (q: Executor) => q.selectFrom('window_keys').select(['id', 'wrapped']).execute(),

  count: async (q: Executor): Promise<number> =>
    Number(
      (
        await q
          .selectFrom('window_keys')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    ),
};
