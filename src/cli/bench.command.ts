/** `slim-mesh bench [SCENARIO] [--json]`: ours beside the floor and the peer, measured in one run. */
import type { Command } from 'commander'
import { runBench, formatTable, SCENARIOS } from '../../bench/run.js'

export function registerBenchCommand (program: Command): void {
  program.command('bench')
    .description('measure slim-mesh beside plain node:net / node:crypto (the floor) and nats-server (the peer) on this machine')
    .argument('[scenario]', `one of: ${SCENARIOS.join(', ')} (all when none is named)`)
    .option('--json', 'print one JSON document: { machine, results: [{ scenario, unit, ours, peer, floor, ratio }] }')
    .action(async (scenario: string | undefined, opts: { json?: boolean }) => {
      const report = await runBench({ only: scenario, log: s => { process.stderr.write(`${s}\n`) } })
      console.log(opts.json === true ? JSON.stringify(report, null, 2) : formatTable(report))
      process.exit(0)
    })
}
