/**
 * The `slim-mesh` command line (commander: subcommands, repeatable options and
 * `--help` everywhere without code of our own).
 */
import { Command, Option } from 'commander'
import { registerNodeCommand } from './node.command.js'
import { registerAgentCommands } from './agent.commands.js'
import { registerChartCommand } from './chart.command.js'
import { registerInspectCommand } from './inspect.command.js'
import { registerConformanceCommand } from './conformance.command.js'
import { registerBenchCommand } from './bench.command.js'
import { registerSimCommand } from './sim.command.js'

export async function main (argv: string[]): Promise<void> {
  const program = new Command()
  program
    .name('slim-mesh')
    .description('Secure Low-Latency Interactive Messaging for agents: relays on a libp2p mesh, MLS channels, XState actors')
    .showHelpAfterError()
  registerNodeCommand(program)
  registerAgentCommands(program)
  registerChartCommand(program)
  registerInspectCommand(program)
  registerConformanceCommand(program)
  registerBenchCommand(program)
  registerSimCommand(program)
  await program.parseAsync(argv)
}

/** `--flag X --flag Y` collects into an array. */
export function collectOption (flags: string, description: string, defaults: string[] = []): Option {
  return new Option(flags, description).argParser((value: string, prev: string[] | undefined) => [...(prev === defaults ? [] : prev ?? []), value]).default(defaults)
}
