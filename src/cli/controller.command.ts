/**
 * `slim-mesh controller`: runs a mesh's controller until interrupted (src/control). It
 * keeps its store and the mesh authority in its data directory; relays join it with
 * tokens from `slim-mesh ctl tokens create`, operators use `slim-mesh ctl`.
 *
 * With `--etcd URL[,URL...]` its state is in etcd instead, and several controllers of one
 * mesh (each with the same `--authority`) elect one leader among them; the others answer
 * with the leader's URL (see README, "Running several controllers").
 */
import { join } from 'node:path'
import { InvalidArgumentError, Option } from 'commander'
import type { Command } from 'commander'
import { createController, DEFAULT_CONTROLLER_LISTEN } from '../control/controller.js'
import { configureLogging, createLogger, LOG_FORMATS, LOG_LEVELS } from '../logger.js'
import type { LogFormat, LogLevel } from '../logger.js'
import type { TopologySpec } from '../control/types.js'
import type { Authority } from '../trust/keys.js'
import { readCredentials } from '../trust/credentials-file.js'
import { UsageError } from './errors.js'
import { nonEmpty } from './node.command.js'

export const DEFAULT_CONTROLLER_DATA_DIR = './.slim-mesh-controller'
const TOPOLOGIES = ['computed', 'full', 'star', 'line'] as const

interface ControllerFlags {
  dataDir: string
  inMemory?: boolean
  listen: string
  metrics?: string
  topology: typeof TOPOLOGIES[number]
  heartbeat?: number
  downAfter?: number
  replication?: number
  authority?: string
  etcd?: string[]
  etcdPrefix?: string
  leaseTtl?: number
  logLevel?: LogLevel
  logFormat?: LogFormat
}

const ms = (value: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive number of milliseconds.')
  return n
}

const copies = (value: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new InvalidArgumentError('a whole number of relays from 1 to 16.')
  return n
}

const seconds = (value: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of seconds, at least 1.')
  return n
}

const etcdUrls = (value: string): string[] => {
  const urls = value.split(',').map(u => u.trim()).filter(u => u !== '')
  for (const u of urls) if (!/^https?:\/\/[^/\s]+$/.test(u)) throw new InvalidArgumentError(`"${u}" is not an etcd client URL; write http://host:port (several: comma-separated).`)
  if (urls.length === 0) throw new InvalidArgumentError('at least one etcd client URL, http://host:port.')
  return urls
}

export function registerControllerCommand (program: Command): void {
  program.command('controller')
    .description('run a mesh\'s controller: registration, signed desired state, topology, monitoring, alerts, dashboard')
    .option('--data-dir <dir>', 'where the store and the mesh authority are kept', DEFAULT_CONTROLLER_DATA_DIR)
    .option('--in-memory', 'keep nothing on disk (a mesh for one run)')
    .option('--listen <host:port>', 'the HTTP API and dashboard', DEFAULT_CONTROLLER_LISTEN)
    .option('--authority <file>', 'the mesh authority\'s file (slim-mesh authority init); without it the controller makes one in its data directory')
    .option('--etcd <url,...>', 'keep the state in etcd (its members\' client URLs, comma-separated) and lead by election among the controllers that share it (needs --authority)', etcdUrls)
    .option('--etcd-prefix <prefix>', 'where in etcd the keys go (default slim-mesh/<mesh id>/)')
    .option('--lease-ttl <seconds>', 'with --etcd: how long a dead leader holds on before another takes over (default 5)', seconds)
    .option('--metrics <host:port>', 'serve the controller\'s Prometheus metrics, /healthz and /readyz here (off loopback, /metrics needs the bearer token in SLIM_MESH_METRICS_TOKEN)')
    .addOption(new Option('--topology <kind>', 'how a new mesh\'s relays link (later: slim-mesh ctl policy topology)').choices(TOPOLOGIES).default('computed'))
    .option('--heartbeat <ms>', 'how often relays heartbeat (default 2000)', ms)
    .option('--down-after <ms>', 'a relay silent this long is down (default 3 heartbeats)', ms)
    .option('--replication <n>', 'relays that keep each multicast name\'s archive, its sequencer included (default 2; 1: no replicas, no failover)', copies)
    .addOption(new Option('--log-level <level>', 'least severe log lines written to standard error (default info)').choices(LOG_LEVELS))
    .addOption(new Option('--log-format <format>', 'text or JSON log lines').choices(LOG_FORMATS))
    .action(async (o: ControllerFlags) => {
      configureLogging({ level: o.logLevel, format: o.logFormat })
      const log = createLogger('slim:controller')
      const dataDir = o.inMemory === true ? undefined : o.dataDir
      if (o.etcd == null && (o.etcdPrefix != null || o.leaseTtl != null)) throw new UsageError('--etcd-prefix and --lease-ttl go with --etcd URL')
      if (o.etcd != null && o.authority == null) throw new UsageError('controllers that share etcd must share the mesh authority: give each the same --authority FILE (slim-mesh authority init)')
      let authority: Authority | undefined
      if (o.authority != null) {
        const file = await readCredentials(o.authority)
        if (file.kind !== 'slim-mesh/authority') throw new UsageError(`${o.authority} is a ${file.kind} file; the controller signs with the authority itself (its private key file)`)
        authority = file.authority
      }
      const controller = await createController({
        dataDir,
        authority,
        listen: o.listen,
        ...(o.etcd != null ? { etcd: { endpoints: o.etcd, prefix: o.etcdPrefix, leaseTtlSeconds: o.leaseTtl } } : {}),
        topology: { kind: o.topology } as TopologySpec,
        ...(o.replication != null ? { replication: o.replication } : {}),
        ...(o.metrics != null ? { metrics: { listen: o.metrics, token: nonEmpty(process.env.SLIM_MESH_METRICS_TOKEN) } } : {}),
        timings: { ...(o.heartbeat != null ? { heartbeatMs: o.heartbeat } : {}), ...(o.downAfter != null ? { downAfterMs: o.downAfter } : {}) }
      })
      const admin = controller.adminCredentialsPath ?? '(in memory: use the API from this process)'
      console.log(`controller on ${controller.url}`)
      console.log(`mesh ${controller.mesh}${o.etcd != null ? `, state in etcd at ${o.etcd.join(',')} (${controller.isLeader() ? 'leading' : 'following: campaigning to lead'})` : dataDir != null ? `, data in ${dataDir}` : ' (in memory)'}`)
      if (controller.metricsUrl != null) console.log(`metrics on ${controller.metricsUrl}`)
      console.log(`admin credential ${admin}`)
      if (controller.issuerCredentialsPath != null) console.log(`agents' credentials (an issuer for every name, for development) ${controller.issuerCredentialsPath}`)
      console.log('join a relay:')
      console.log(`  npx slim-mesh ctl --controller ${controller.url} --credentials ${dataDir != null ? join(dataDir, 'admin.creds') : 'ADMIN.creds'} tokens create`)
      console.log(`  npx slim-mesh node --controller ${controller.url} --join-token TOKEN --data-dir ./relay1 --listen 127.0.0.1:7450`)
      let stopping = false
      const stop = (signal: string): void => {
        if (stopping) return
        stopping = true
        log.info({ signal }, 'stopping')
        controller.stop().then(() => process.exit(0), (err: unknown) => {
          console.error(`slim-mesh: stopping failed: ${err instanceof Error ? err.message : String(err)}`)
          process.exit(1)
        })
      }
      process.on('SIGINT', () => { stop('SIGINT') })
      process.on('SIGTERM', () => { stop('SIGTERM') })
      await new Promise(() => {})
    })
}
