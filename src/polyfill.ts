/**
 * Node 20 has no `Promise.withResolvers`, and libp2p 3 calls it. This module is imported
 * first by every entry point (the library index, the command line, vitest's setup) so
 * that it is in place before libp2p loads.
 */
const P = Promise as unknown as { withResolvers?: <T>() => PromiseWithResolvers<T> }
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T> (): PromiseWithResolvers<T> {
    let resolve!: (value: T | PromiseLike<T>) => void
    let reject!: (reason?: unknown) => void
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
export {}
