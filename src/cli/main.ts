/**
 * The `slim-mesh` command line (commander: subcommands, repeatable options and
 * `--help` everywhere without code of our own).
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command } from 'commander'
import type { ErrorOptions as CommanderErrorOptions } from 'commander'
import { registerNodeCommand } from './node.command.js'
import { registerAgentCommands } from './agent.commands.js'
import { registerChannelCommands } from './channel.commands.js'
import { registerChartCommand } from './chart.command.js'
import { registerInspectCommand } from './inspect.command.js'
import { registerConformanceCommand } from './conformance.command.js'
import { registerBenchCommand } from './bench.command.js'
import { registerSimCommand } from './sim.command.js'
import { registerCredentialCommands } from './credential.commands.js'
import { registerCtlCommands } from './ctl.commands.js'
import { registerControllerCommand } from './controller.command.js'

/**
 * Commands whose bad option values (`--count abc`, `--mode x`, `--json --raw`) are said in
 * one line and exit at once; a missing argument or an unknown option still shows the help.
 */
class SlimCommand extends Command {
  override createCommand (name?: string): Command { return new SlimCommand(name) }

  override error (message: string, options?: CommanderErrorOptions): never {
    if (options?.code === 'commander.invalidArgument' || options?.code === 'commander.conflictingOption') this.showHelpAfterError(false)
    return super.error(message, options)
  }
}

/** The version in package.json, looked up from this module (it runs from src/cli/ and dist/src/cli/). */
export function packageVersion (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'slim-mesh' && pkg.version != null) return pkg.version
    }
    dir = dirname(dir)
  }
  return 'unknown'
}

/** The whole command tree (for `main`, and for tests that read it). */
export function createProgram (): Command {
  const program = new SlimCommand()
  program
    .name('slim-mesh')
    .description('Secure Low-Latency Interactive Messaging for agents: relays on a libp2p mesh, MLS channels, XState actors')
    .version(packageVersion(), '-v, --version', 'print the version')
    // Commander's own errors read like ours: `slim-mesh: option '--count <n>' argument ...`.
    .configureOutput({ outputError: (str, write) => { write(str.replace(/^error: /, 'slim-mesh: ')) } })
    .showHelpAfterError()
  registerNodeCommand(program)
  registerAgentCommands(program)
  registerChannelCommands(program)
  registerChartCommand(program)
  registerInspectCommand(program)
  registerConformanceCommand(program)
  registerBenchCommand(program)
  registerSimCommand(program)
  registerCredentialCommands(program)
  registerControllerCommand(program)
  registerCtlCommands(program)
  return program
}

export async function main (argv: string[]): Promise<void> {
  await createProgram().parseAsync(argv)
}
