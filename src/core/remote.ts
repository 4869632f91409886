/**
 * `Remote<T>`: the client-side view of a service of type `T`. Every method
 * returns a Promise of its (awaited) result; methods that return iterables or
 * async iterables return a Promise of an `AsyncIterable`; non-method members
 * are dropped.
 */

type AnyFn = (...args: any[]) => any;

type RemoteResult<R> =
  Awaited<R> extends AsyncIterable<infer U>
    ? AsyncIterable<U>
    : Awaited<R> extends string
      ? string
      : Awaited<R> extends Iterator<infer U> & Iterable<unknown>
        ? AsyncIterable<U>
        : Awaited<R>;

export type RemoteMethod<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<RemoteResult<R>> : never;

export type Remote<T> = {
  readonly [K in keyof T as T[K] extends AnyFn ? (K extends `_${string}` ? never : K) : never]: RemoteMethod<T[K]>;
};
