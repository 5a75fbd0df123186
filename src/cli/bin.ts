/** The command line's entry point: the polyfill first, then the commands. */
import '../polyfill.js'
import { main } from './main.js'
import { errorLine, exitCodeOf } from './errors.js'

main(process.argv).catch((err: unknown) => {
  console.error(`slim-mesh: ${errorLine(err)}`)
  process.exit(exitCodeOf(err))
})
