/** The command line's entry point: the polyfill first, then the commands. */
import '../polyfill.js'
import { main } from './main.js'

main(process.argv).catch((err: unknown) => {
  console.error(`slim-mesh: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
