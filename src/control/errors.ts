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

/**
 * The etcd store could not do what the controller asked: `operation` (`get`, `put`,
 * `del`, `list`, `close`), on `key`, against `endpoints`; the etcd client's error is the
 * `cause`. Most often no majority of the etcd members answers.
 */
export class EtcdStoreError extends Error {
  readonly operation: string
  readonly key: string
  readonly endpoints: string[]
  constructor (operation: string, key: string, endpoints: string[], options?: ErrorOptions) {
    const why = (options?.cause as Error | undefined)?.message ?? 'no reason given'
    super(`etcd ${operation} of "${key}" failed at ${endpoints.join(', ')}: ${why}; check that a majority of the etcd members run and answer on those addresses`, options)
    this.name = 'EtcdStoreError'
    this.operation = operation
    this.key = key
    this.endpoints = endpoints
  }
}

/**
 * This controller is not (or no longer) the leader of its etcd election, so it must not
 * answer or write: a 503 with rule `controller.not-leader`, and `leader` (the leader's
 * URL, when one is known) for the caller to go to.
 */
export class NotLeaderError extends ControllerError {
  readonly leader?: string
  constructor (message: string, leader?: string, options?: ErrorOptions) {
    super(503, 'controller.not-leader', message, options)
    this.name = 'NotLeaderError'
    this.leader = leader
  }
}
