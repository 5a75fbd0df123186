/** `slim-mesh inspect --relay ADDR`: streams the transitions of a running relay's actors. */
import type { Command } from 'commander'
import { inspectRelay } from '../p2p/inspect-client.js'

export function registerInspectCommand (program: Command): void {
  program.command('inspect')
    .description('stream the actor transitions of a relay started with --inspect (actor, from, to, event)')
    .requiredOption('--relay <addr>', 'the relay: host:port or a multiaddr')
    .option('--json', 'one JSON object per line')
    .option('--credentials <file>', 'an admin credential of the mesh (the relay prints its development one); also SLIM_MESH_CREDENTIALS')
    .action(async (opts: { relay: string, json?: boolean, credentials?: string }) => {
      const credentials = opts.credentials ?? (process.env.SLIM_MESH_CREDENTIALS?.trim() === '' ? undefined : process.env.SLIM_MESH_CREDENTIALS)
      const ac = new AbortController()
      process.on('SIGINT', () => { ac.abort() })
      process.on('SIGTERM', () => { ac.abort() })
      for await (const e of inspectRelay(opts.relay, { signal: ac.signal, credentials })) {
        if (opts.json === true) { console.log(JSON.stringify(e)); continue }
        const time = new Date(e.at).toISOString().slice(11, 23)
        console.log(`${time}  ${e.actor}  ${e.from === '' ? '·' : e.from} -> ${e.to}  (${e.event})`)
      }
    })
}
