/** Expected outcomes are values: domain and vault functions return these instead of throwing. */
export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E extends string> = { readonly ok: false; readonly error: E; readonly detail?: string };
export type Result<T, E extends string> = Ok<T> | Err<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const err = <E extends string>(error: E, detail?: string): Err<E> =>
  detail === undefined ? { ok: false, error } : { ok: false, error, detail };
