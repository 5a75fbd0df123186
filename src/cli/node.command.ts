/** `slim-mesh node`: runs one relay until interrupted. */
import type { Command } from 'commander'
import { createRelay } from '../p2p/relay-node.js'
import { collectOption } from './main.js'

export const DEFAULT_LISTEN = '/ip4/127.0.0.1/tcp/7450'
export const DEFAULT_DATA_DIR = './.slim-mesh'

export function registerNodeCommand (program: Command): void {
  program.command('node')
    .description('run a relay node with its embedded store')
    .addOption(collectOption('--listen <addr>', 'multiaddr to listen on (repeatable)', [DEFAULT_LISTEN]))
    .addOption(collectOption('--bootstrap <addr>', 'relay to link to, ending in /p2p/<peerId> (repeatable)'))
    .option('--data-dir <dir>', 'where the identity, archive and peers are kept', DEFAULT_DATA_DIR)
    .option('--in-memory', 'keep nothing on disk (ignores --data-dir)')
    .option('--inspect', 'serve live inspection of this relay\'s actors to `slim-mesh inspect`')
    .action(async (opts: { listen: string[], bootstrap: string[], dataDir: string, inMemory?: boolean, inspect?: boolean }) => {
      const relay = await createRelay({
        listen: opts.listen,
        bootstrap: opts.bootstrap,
        dataDir: opts.inMemory === true ? undefined : opts.dataDir,
        inspect: opts.inspect === true
      })
      for (const addr of relay.multiaddrs) console.log(`listening on ${addr}`)
      console.log(`peer id ${relay.peerId}${opts.inMemory === true ? ' (in memory)' : `, data in ${opts.dataDir}`}`)
      const addr = relay.multiaddrs[0] ?? ''
      console.log('connect an agent, for example:')
      console.log(`  npx slim-mesh sub --relay ${addr} acme/demo/echo --echo`)
      console.log(`  npx slim-mesh request --relay ${addr} acme/demo/echo hello`)
      if (opts.inspect === true) console.log(`inspection on: npx slim-mesh inspect --relay ${addr}`)
      let stopping = false
      const stop = (): void => {
        if (stopping) return
        stopping = true
        console.log('stopping')
        relay.stop().then(() => process.exit(0), (err) => { console.error(err); process.exit(1) })
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
      await new Promise(() => {})
    })
}
