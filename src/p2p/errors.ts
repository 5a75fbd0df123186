/** Errors of the libp2p layer. Callers branch on `err.name`. */

/** A listen address is taken by another process (another relay, most likely). */
export class AddressInUseError extends Error {
  readonly address: string
  constructor (address: string, options?: ErrorOptions) {
    super(`cannot listen on ${address}: the address is in use (is another relay running on it?); stop that one, or listen on another port (--listen 127.0.0.1:PORT, or port 0 for any free one)`, options)
    this.name = 'AddressInUseError'
    this.address = address
  }
}

/**
 * A listen address this machine cannot listen on (not one of its interfaces, a port it
 * may not use, no transport for it, or one the relay's `transports` leave out). `fix`
 * replaces the usual advice when there is a better one.
 */
export class ListenError extends Error {
  readonly address: string
  constructor (address: string, reason: string, options?: ErrorOptions & { fix?: string }) {
    super(`cannot listen on ${address}: ${reason}; ${options?.fix ?? 'listen on one of this machine\'s addresses over TCP, such as 127.0.0.1:7450 or 0.0.0.0:7450'}`, options)
    this.name = 'ListenError'
    this.address = address
  }
}

/** A relay's `transports` that name no transport, or one slim-mesh does not have. */
export class InvalidTransportsError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidTransportsError'
  }
}

/** A relay's `inbound` limits with a value that is not a whole number of 1 or more. */
export class InvalidInboundLimitsError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidInboundLimitsError'
  }
}
