/**
 * Runs `slim-mesh sim` without the rest of the command line:
 * `npx tsx sims/cli.ts random --relays 1000 --agents 10000 --out ./sim-out`.
 */
import '../src/polyfill.js'
import { Command } from 'commander'
import { registerSimCommand } from '../src/cli/sim.command.js'

const program = new Command().name('slim-mesh').showHelpAfterError()
registerSimCommand(program)
program.parseAsync(['node', 'slim-mesh', 'sim', ...process.argv.slice(2)]).catch((err: unknown) => {
  console.error(`slim-mesh sim: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
