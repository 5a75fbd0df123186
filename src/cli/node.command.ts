/**
 * `slim-mesh node`: runs one relay until interrupted. Its settings come from flags, then
 * `SLIM_MESH_*` environment variables, then a `--config` file, then defaults (see
 * node-config.ts); its log goes to standard error, its banner to standard output.
 */
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidArgumentError, Option } from 'commander'
import type { Command } from 'commander'
import { stringify as toYaml } from 'yaml'
import { createRelay, DEFAULT_TIMINGS } from '../node/relay-node.js'
import { DEFAULT_RETENTION } from '../node/relay-store.js'
import type { Relay } from '../node/relay-node.js'
import { trustFromFiles } from '../trust/trust-files.js'
import { writeCredentials } from '../trust/credentials-file.js'
import { DEV_ADMIN_FILE, DEV_CREDENTIALS_FILE } from '../trust/dev-authority.js'
import { UsageError } from './errors.js'
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
  announce: string[]
  dataDir?: string
  inMemory?: boolean
  inspect?: boolean
  logLevel?: LogLevel
  logFormat?: LogFormat
  printConfig?: boolean
  authority?: string
  credentials?: string
  open?: boolean
  metrics?: string
  controller?: string
  joinToken?: string
}

/** An environment variable's value, unless unset or empty. */
export function nonEmpty (v: string | undefined): string | undefined { return v == null || v.trim() === '' ? undefined : v.trim() }

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
    .addOption(collectOption('--announce <addr>', 'address other relays and agents are told to dial, host:port or a multiaddr, instead of the listen ones: behind a port forward, a NAT or a proxy (repeatable; also SLIM_MESH_ANNOUNCE)'))
    .option('--data-dir <dir>', `where the identity, archive and peers are kept (default ${DEFAULT_DATA_DIR})`)
    .option('--in-memory', 'keep nothing on disk (ignores --data-dir)')
    .option('--inspect', 'serve live inspection of this relay\'s actors to `slim-mesh inspect`')
    .addOption(new Option('--log-level <level>', 'least severe log lines written to standard error (default info)').choices(LOG_LEVELS))
    .addOption(new Option('--log-format <format>', 'log lines as text for people or JSON for collectors (default text)').choices(LOG_FORMATS))
    .option('--authority <file>', 'the mesh authority\'s file (slim-mesh authority init); without it the relay makes a development authority in its data directory (also SLIM_MESH_AUTHORITY)')
    .option('--credentials <file>', 'this relay\'s credential (slim-mesh credential issue --relay PEER_ID); not needed with the authority\'s private key (also SLIM_MESH_RELAY_CREDENTIALS)')
    .option('--open', 'OPEN MODE: admit agents without any credential, for experiments on loopback only (also SLIM_MESH_OPEN)')
    .option('--metrics <host:port>', 'serve Prometheus metrics at /metrics, and /healthz and /readyz, over HTTP on this address (port 0: a free one; keep it on loopback unless scrapers elsewhere need it) (also SLIM_MESH_METRICS)')
    .option('--controller <url>', 'run this relay by a controller (slim-mesh controller): its trust, links and policies come from it; several of one mesh comma-separated (also SLIM_MESH_CONTROLLER)')
    .option('--join-token <token>', 'the one-time token this relay registers with on its first start (slim-mesh ctl tokens create; also SLIM_MESH_JOIN_TOKEN)')
    .option('--print-config', 'print the settings the relay would run with (all sources merged) and exit')
    .action(async (opts: NodeFlags) => {
      const flags: PartialNodeSettings = {
        ...(opts.listen.length > 0 ? { listen: opts.listen } : {}),
        ...(opts.transport != null ? { transports: [...new Set(opts.transport)] } : {}),
        ...(opts.bootstrap.length > 0 ? { bootstrap: opts.bootstrap } : {}),
        ...(opts.announce.length > 0 ? { announce: opts.announce } : {}),
        ...(opts.dataDir != null ? { dataDir: opts.dataDir } : {}),
        ...(opts.inMemory === true ? { inMemory: true } : {}),
        ...(opts.inspect === true ? { inspect: true } : {}),
        ...(opts.open === true ? { open: true } : {}),
        controller: { ...(opts.controller != null ? { url: opts.controller } : {}), ...(opts.joinToken != null ? { joinToken: opts.joinToken } : {}) },
        ...(opts.metrics != null ? { metrics: opts.metrics } : {}),
        trust: { ...(opts.authority != null ? { authority: opts.authority } : {}), ...(opts.credentials != null ? { credentials: opts.credentials } : {}) },
        log: { ...(opts.logLevel != null ? { level: opts.logLevel } : {}), ...(opts.logFormat != null ? { format: opts.logFormat } : {}) }
      }
      const settings = await loadNodeSettings({ flags, configFile: opts.config })
      if (opts.printConfig === true) {
        process.stdout.write(toYaml(effectiveSettings(settings, DEFAULT_TIMINGS, DEFAULT_RETENTION)))
        return
      }
      configureLogging(settings.log)
      const log = createLogger('slim:node')
      if (settings.open && settings.trust.authority != null) throw new UsageError('--open admits agents without credentials; it cannot go with a mesh authority (--authority)')
      const controllers = [settings.controller.url, ...(settings.controller.urls ?? [])].filter(u => u != null).join(',')
      const controlled = controllers !== ''
      if (controlled && (settings.open || settings.trust.authority != null || settings.bootstrap.length > 0)) throw new UsageError('a relay run by a controller (--controller) gets its trust and links from it: leave out --open, --authority and --bootstrap')
      if (!controlled && settings.controller.joinToken != null) throw new UsageError('--join-token goes with --controller URL')
      const trust = controlled ? undefined : settings.open ? 'open' as const : await trustFromFiles(settings.trust)
      const relay = await createRelay({
        trust,
        ...(controlled ? { control: { url: controllers, joinToken: settings.controller.joinToken } } : {}),
        listen: settings.listen,
        transports: settings.transports,
        bootstrap: settings.bootstrap,
        ...(settings.announce.length > 0 ? { announce: settings.announce } : {}),
        dataDir: settings.inMemory ? undefined : settings.dataDir,
        config: settings.relay,
        timings: settings.timings,
        retention: settings.retention,
        inbound: settings.inbound,
        quotas: settings.quotas,
        inspect: settings.inspect,
        ...(settings.metrics != null ? { metrics: { listen: settings.metrics, token: nonEmpty(process.env.SLIM_MESH_METRICS_TOKEN) } } : {})
      })
      // With --announce, the relay's addresses are the announced ones: what agents and relays dial.
      for (const addr of relay.multiaddrs) console.log(settings.announce.length > 0 ? `announced as ${addr}` : `listening on ${addr}`)
      console.log(`peer id ${relay.peerId}${settings.inMemory ? ' (in memory)' : `, data in ${settings.dataDir}`}`)
      const addr = relay.multiaddrs[0] ?? ''
      const dev = await devCredentialFiles(relay)
      if (controlled) console.log(`run by the controller at ${controllers} (generation ${relay.control?.generation ?? 0})`)
      if (relay.mesh == null) console.log('OPEN MODE: agents connect without credentials')
      else console.log(`mesh ${relay.mesh}${dev != null ? ' (development authority)' : ''}`)
      const creds = dev != null ? ` --credentials ${dev.credentials}` : relay.mesh != null ? ' --credentials YOUR.creds' : ''
      console.log('connect an agent on this machine, for example:')
      console.log(`  npx slim-mesh sub --relay ${addr}${creds} acme/demo/echo --echo`)
      console.log(`  npx slim-mesh request --relay ${addr}${creds} acme/demo/echo hello`)
      if (relay.metricsUrl != null) console.log(`metrics on ${relay.metricsUrl} (health: /healthz, readiness: /readyz)`)
      if (settings.inspect) console.log(`inspection on: npx slim-mesh inspect --relay ${addr}${dev != null ? ` --credentials ${dev.admin}` : relay.mesh != null ? ' --credentials ADMIN.creds' : ''}`)
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

/**
 * The development credentials' files: kept in the data directory, or (a relay in
 * memory) in a temporary directory that lives as long as this process.
 */
async function devCredentialFiles (relay: Relay): Promise<{ credentials: string, admin: string } | undefined> {
  if (relay.devCredentials == null || relay.devAdminCredentials == null) return undefined
  if (relay.devCredentialsPath != null && relay.devAdminCredentialsPath != null) return { credentials: relay.devCredentialsPath, admin: relay.devAdminCredentialsPath }
  const dir = await mkdtemp(join(tmpdir(), 'slim-mesh-dev-'))
  const files = { credentials: join(dir, DEV_CREDENTIALS_FILE), admin: join(dir, DEV_ADMIN_FILE) }
  await writeCredentials(files.credentials, relay.devCredentials)
  await writeCredentials(files.admin, relay.devAdminCredentials)
  process.once('exit', () => { rmSync(dir, { recursive: true, force: true }) })
  return files
}
