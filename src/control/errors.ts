/** Errors of the control plane. Callers branch on `err.name` (and on `rule`/`status`). */

/**
 * The controller refused a request, or could not be reached: `status` is the HTTP status
 * (0: no answer at all), `rule` the check that refused it (`join-token.used`,
 * `proof.replayed`, `credential.not-admin`, ...).
 */
export class ControllerError extends Error {
  readonly status: number
  readonly rule: string
  constructor (status: number, rule: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ControllerError'
    this.status = status
    this.rule = rule
  }
}

/** A desired-state document that does not verify or does not parse: it is not applied. */
export class DesiredStateError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'DesiredStateError' }
}

/** An operator asked for something that cannot be (a bad policy, an unknown relay, a bad topology). */
export class ControlRequestError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'ControlRequestError' }
}
