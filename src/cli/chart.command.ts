/** `slim-mesh chart [MACHINE] [--format mermaid|json] [--update FILE]`. */
import { readFile, writeFile } from 'node:fs/promises'
import { Option } from 'commander'
import type { Command } from 'commander'
import { MACHINES } from '../charts/machines.js'
import { chartOf, toMermaid } from '../charts/chart.js'
import { withCurrentCharts } from '../charts/architecture-doc.js'
import { UsageError } from './errors.js'

export function registerChartCommand (program: Command): void {
  program.command('chart')
    .description('print the state chart of a machine (all when none is named)')
    .argument('[machine]', `one of: ${MACHINES.map(m => m.name).join(', ')}`)
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'json']).default('mermaid'))
    .option('--update <file>', 'rewrite the charts block of this markdown file (docs/ARCHITECTURE.md)')
    .action(async (name: string | undefined, opts: { format: 'mermaid' | 'json', update?: string }) => {
      if (opts.update != null) {
        await writeFile(opts.update, withCurrentCharts(await readFile(opts.update, 'utf8')))
        console.log(`updated the charts in ${opts.update}`)
        return
      }
      const chosen = name == null ? MACHINES : MACHINES.filter(m => m.name === name)
      if (chosen.length === 0) throw new UsageError(`no machine named "${name ?? ''}"; known: ${MACHINES.map(m => m.name).join(', ')}`)
      if (opts.format === 'json') {
        const out = chosen.map(m => ({ name: m.name, summary: m.summary, ...chartOf(m.machine) }))
        console.log(JSON.stringify(name == null ? out : out[0], null, 2))
        return
      }
      console.log(chosen.map(m => `%% ${m.name}: ${m.summary}\n${toMermaid(m.machine)}`).join('\n\n'))
    })
}
