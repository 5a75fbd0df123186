/** Errors of the names area. Callers branch on `err.name`. */
export class InvalidNameError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidNameError'
  }
}

/** A relay or listen address that is neither a multiaddr nor `host:port`. */
export class InvalidAddressError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidAddressError'
  }
}
