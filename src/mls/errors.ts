/**
 * Errors of the mls area. One class per condition; `this.name` equals the class name so
 * callers branch on `err.name`, and the underlying failure travels as `cause`.
 */

/** A cipher suite id or name that this provider (and its fallback) cannot run. */
export class UnsupportedCipherSuiteError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnsupportedCipherSuiteError'
  }
}

/** Bytes that should hold an MLS message (RFC 9420 section 6) but do not decode as one. */
export class MalformedMlsMessageError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MalformedMlsMessageError'
  }
}

/**
 * Key bytes of the wrong length or not a valid point / scalar for their algorithm
 * (RFC 9420 section 5.1.1 fixes the encodings; RFC 9180 section 7.1.1 the HPKE ones).
 */
export class MalformedKeyError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MalformedKeyError'
  }
}

/** An AEAD or HPKE open that did not authenticate: wrong key, nonce, AAD or a forged ciphertext. */
export class DecryptionFailedError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DecryptionFailedError'
  }
}

/** An argument outside what the primitive defines, e.g. an HKDF output longer than 255 * Nh. */
export class CryptoParameterError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CryptoParameterError'
  }
}

/** A conformance check computed a value that differs from the one in the test vector. */
export class VectorMismatchError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'VectorMismatchError'
  }
}

/** A test-vector file that is missing, unreadable, or not the JSON array the format requires. */
export class VectorFileError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'VectorFileError'
  }
}

/**
 * A directory given as the home of the test vectors that holds none of the vector files
 * (neither `<name>.json` nor `<name>.json.gz`): a wrong path, not a failed vector.
 */
export class VectorsNotFoundError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'VectorsNotFoundError'
  }
}
