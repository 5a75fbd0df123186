/**
 * A machine names the invoked actors its actor gives real effects (`machine.provide`);
 * run bare, without them, an invocation fails with this rather than doing IO.
 */
export class ActorNotProvidedError extends Error {
  constructor (what: string, by: string) {
    super(`${what} is given by the ${by}; provide it with machine.provide()`)
    this.name = 'ActorNotProvidedError'
  }
}
