/**
 * `slim-mesh node`: runs one relay until interrupted. Its settings come from flags, then
 * `SLIM_MESH_*` environment variables, then a `--config` file, then defaults (see
 * node-config.ts); its log goes to standard error, its banner to standard output.
 */
import { InvalidArgumentError, Option } from 'commander'
import type { Command } from 'commander'
import { stringify as toYaml } from 'yaml'
import { createRelay, DEFAULT_TIMINGS } from '../node/relay-node.js'
import { TRANSPORTS } from '../p2p/libp2p-node.js'
import type { TransportName } from '../p2p/libp2p-node.js'
import { configureLogging, createLogger, LOG_FORMATS, LOG_LEVELS } from '../logger.js'
import type { LogFormat, LogLevel } from '../logger.js'
import { collectOption } from './options.js'
import { DEFAULT_DATA_DIR, DEFAULT_LISTEN, effectiveSettings, loadNodeSettings } from './node-config.js'
import type { PartialNodeSettings } from './node-config.js'

export { DEFAULT_DATA_DIR, DEFAULT_LISTEN }

interface NodeFlags {
  config?: string
  listen: string[]
  transport?: TransportName[]
  bootstrap: string[]
  dataDir?: string
  inMemory?: boolean
  inspect?: boolean
  logLevel?: LogLevel
  logFormat?: LogFormat
  printConfig?: boolean
}

export function registerNodeCommand (program: Command): void {
  program.command('node')
    .description('run a relay node with its embedded store')
    .option('--config <file>', 'read settings from a YAML or JSON file (also SLIM_MESH_CONFIG); flags and SLIM_MESH_* variables override it')
    .addOption(collectOption('--listen <addr>', `address to listen on, host:port or a multiaddr (repeatable; default ${DEFAULT_LISTEN})`))
    .addOption(new Option('--transport <name>', `transport to listen and dial on, ${TRANSPORTS.join(' or ')} (repeatable; default tcp); a /ws listen address needs websockets`)
      .argParser((value: string, prev: TransportName[] | undefined) => {
        if (!(TRANSPORTS as readonly string[]).includes(value)) throw new InvalidArgumentError(`use ${TRANSPORTS.join(' or ')}.`)
        return [...(prev ?? []), value as TransportName]
      }))
    .addOption(collectOption('--bootstrap <addr>', 'relay to link to, ending in /p2p/<peerId> (repeatable)'))
    .option('--data-dir <dir>', `where the identity, archive and peers are kept (default ${DEFAULT_DATA_DIR})`)
    .option('--in-memory', 'keep nothing on disk (ignores --data-dir)')
    .option('--inspect', 'serve live inspection of this relay\'s actors to `slim-mesh inspect`')
    .addOption(new Option('--log-level <level>', 'least severe log lines written to standard error (default info)').choices(LOG_LEVELS))
    .addOption(new Option('--log-format <format>', 'log lines as text for people or JSON for collectors (default text)').choices(LOG_FORMATS))
    .option('--print-config', 'print the settings the relay would run with (all sources merged) and exit')
    .action(async (opts: NodeFlags) => {
      const flags: PartialNodeSettings = {
        ...(opts.listen.length > 0 ? { listen: opts.listen } : {}),
        ...(opts.transport != null ? { transports: [...new Set(opts.transport)] } : {}),
        ...(opts.bootstrap.length > 0 ? { bootstrap: opts.bootstrap } : {}),
        ...(opts.dataDir != null ? { dataDir: opts.dataDir } : {}),
        ...(opts.inMemory === true ? { inMemory: true } : {}),
        ...(opts.inspect === true ? { inspect: true } : {}),
        log: { ...(opts.logLevel != null ? { level: opts.logLevel } : {}), ...(opts.logFormat != null ? { format: opts.logFormat } : {}) }
      }
      const settings = await loadNodeSettings({ flags, configFile: opts.config })
      if (opts.printConfig === true) {
        process.stdout.write(toYaml(effectiveSettings(settings, DEFAULT_TIMINGS)))
        return
      }
      configureLogging(settings.log)
      const log = createLogger('slim:node')
      const relay = await createRelay({
        listen: settings.listen,
        transports: settings.transports,
        bootstrap: settings.bootstrap,
        dataDir: settings.inMemory ? undefined : settings.dataDir,
        config: settings.relay,
        timings: settings.timings,
        inspect: settings.inspect
      })
      for (const addr of relay.multiaddrs) console.log(`listening on ${addr}`)
      console.log(`peer id ${relay.peerId}${settings.inMemory ? ' (in memory)' : `, data in ${settings.dataDir}`}`)
      const addr = relay.multiaddrs[0] ?? ''
      console.log('connect an agent, for example:')
      console.log(`  npx slim-mesh sub --relay ${addr} acme/demo/echo --echo`)
      console.log(`  npx slim-mesh request --relay ${addr} acme/demo/echo hello`)
      if (settings.inspect) console.log(`inspection on: npx slim-mesh inspect --relay ${addr}`)
      let stopping = false
      const stop = (signal: string): void => {
        if (stopping) return
        stopping = true
        console.log('stopping')
        log.info({ signal }, 'stopping')
        relay.stop().then(() => process.exit(0), (err: unknown) => {
          console.error(`slim-mesh: stopping failed: ${err instanceof Error ? err.message : String(err)}`)
          process.exit(1)
        })
      }
      process.on('SIGINT', () => { stop('SIGINT') })
      process.on('SIGTERM', () => { stop('SIGTERM') })
      await new Promise(() => {})
    })
}
