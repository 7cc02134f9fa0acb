/**
 * Hot queries compiled once. Building and compiling a Kysely query costs more than SQLite takes to run a
 * point read from its statement cache, so the queries on every request's path are built once per dialect
 * with named placeholders, and each call only substitutes its arguments into the compiled parameter list.
 * The SQL text is then identical on every call, so SQLite reuses its prepared statement (db.ts) and
 * PostgreSQL gets the same text each time.
 */
import type { Compilable, CompiledQuery, Insertable, QueryResult } from 'kysely';
import type { Executor } from './db.ts';
import type { Database } from './schema.ts';

/** Marks a parameter slot; a NUL-led string no caller can send (the JSON parser refuses NUL). */
const MARK = '\u0000tv-arg:';

interface Plan<R> {
  compiled: CompiledQuery<R>;
  /** For each compiled parameter: the argument name it takes, or null for a constant of the query. */
  slots: (string | null)[];
}

/**
 * `build` receives `arg(name)`, a stand-in for the value of `args[name]` at call time; it must build the same
 * query shape whatever the arguments (branch on arguments by preparing one query per shape).
 */
export function prepareQuery<A extends Record<string, unknown>, R>(
  build: (q: Executor, arg: <K extends keyof A & string>(name: K) => A[K]) => Compilable<R>,
): (q: Executor, args: A) => Promise<QueryResult<R>> {
  // Keyed by the dialect adapter: a transaction shares its database's adapter, so one plan serves both.
  const plans = new WeakMap<object, Plan<R>>();
  return (q, args) => {
    const adapter = q.getExecutor().adapter;
    let plan = plans.get(adapter);
    if (!plan) {
      const compiled = build(q, (name) => `${MARK}${name}` as never).compile();
      const slots = compiled.parameters.map((v) => (typeof v === 'string' && v.startsWith(MARK) ? v.slice(MARK.length) : null));
      plan = { compiled, slots };
      plans.set(adapter, plan);
    }
    const { compiled, slots } = plan;
    const parameters = compiled.parameters.map((v, i) => {
      const name = slots[i];
      return name === null || name === undefined ? v : args[name];
    });
    return q.executeQuery<R>({ ...compiled, parameters, queryId: { queryId: '' } });
  };
}

/** The rows of a prepared query. */
export function prepare<A extends Record<string, unknown>, R>(
  build: (q: Executor, arg: <K extends keyof A & string>(name: K) => A[K]) => Compilable<R>,
): (q: Executor, args: A) => Promise<R[]> {
  const run = prepareQuery(build);
  return async (q, args) => (await run(q, args)).rows;
}

/** The first row of a prepared query, or undefined. */
export function prepareOne<A extends Record<string, unknown>, R>(
  build: (q: Executor, arg: <K extends keyof A & string>(name: K) => A[K]) => Compilable<R>,
): (q: Executor, args: A) => Promise<R | undefined> {
  const run = prepareQuery(build);
  return async (q, args) => (await run(q, args)).rows[0];
}

/**
 * A prepared INSERT of whole rows into one table, one plan per set of columns present; `conflict` lists
 * the columns of a unique key whose duplicates are skipped (ON CONFLICT DO NOTHING). Resolves to the
 * number of rows inserted.
 */
export function prepareInsert<T extends keyof Database & string>(
  table: T,
  conflict?: readonly string[],
): (q: Executor, row: Insertable<Database[T]>) => Promise<number> {
  const shapes = new Map<string, (q: Executor, args: Record<string, unknown>) => Promise<QueryResult<unknown>>>();
  return async (q, row) => {
    const columns = Object.keys(row).filter((c) => (row as Record<string, unknown>)[c] !== undefined);
    const shape = columns.join(',');
    let run = shapes.get(shape);
    if (!run) {
      run = prepareQuery<Record<string, unknown>, unknown>((db, arg) => {
        const values = Object.fromEntries(columns.map((c) => [c, arg(c)]));
        const insert = db.insertInto(table).values(values as never);
        return conflict ? insert.onConflict((oc) => oc.columns(conflict as never).doNothing()) : insert;
      });
      shapes.set(shape, run);
    }
    return Number((await run(q, row as Record<string, unknown>)).numAffectedRows ?? 0n);
  };
}
