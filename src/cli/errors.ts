/** What the command line refuses of what it was given, said in one line (`slim-mesh: ...`). */
export class UsageError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UsageError'
  }
}
