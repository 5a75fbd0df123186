/** Errors of the store area. Callers branch on `err.name`. */

/** Another process (most likely another relay) has the data directory's database open. */
export class DataDirInUseError extends Error {
  readonly dir: string
  constructor (dir: string, options?: ErrorOptions) {
    super(`data directory ${dir} is in use by another process (is a relay already running on it?); stop that one, or give this one another data directory (--data-dir DIR, or --in-memory)`, options)
    this.name = 'DataDirInUseError'
    this.dir = dir
  }
}

/** The data directory's database could not be opened for another reason (permissions, corruption). */
export class StoreOpenError extends Error {
  readonly dir: string
  constructor (dir: string, reason: string, options?: ErrorOptions) {
    super(`cannot open the store in data directory ${dir}: ${reason}`, options)
    this.name = 'StoreOpenError'
    this.dir = dir
  }
}
