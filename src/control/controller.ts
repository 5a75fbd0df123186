/**
 * `createController`: the control plane's controller. It holds the mesh authority (its
 * own, made in its data directory on first start, or one it is given), so it is where
 * relays get their credentials (by join token) and operators get agents' credentials;
 * it keeps the roster, the operator's intent and the signed desired state in its
 * embedded store (LevelDB, like relays), serves the HTTP API relays and operators use,
 * and runs the anomaly detectors over what relays report.
 *
 * With `etcd`, its store is etcd instead (src/control/etcd-store.ts), shared by several
 * controllers of the same mesh (each given the same `authority`); they campaign in an
 * etcd election (src/control/controller-election.ts) and only the leader runs the mesh.
 * A follower answers every API request but `GET /healthz` with a 503 whose JSON names
 * the leader (`{ error: 'NotLeaderError', rule: 'controller.not-leader', leader }`):
 * relays given several controller URLs go there (src/control/control-client.ts).
 *
 * ```ts
 * const controller = await createController({ dataDir: './ctl', listen: '127.0.0.1:7460' })
 * const { token } = await controller.createJoinToken()
 * const relay = await createRelay({ control: { url: controller.url, joinToken: token } })
 * ```
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Gauge, Registry } from 'prom-client'
import type { KeyValueStore } from '../store/store.js'
import { openStore } from '../store/level-store.js'
import { loadOrCreateAdmin, loadOrCreateDevAuthority } from '../trust/dev-authority.js'
import type { Authority, AuthorityPublic } from '../trust/keys.js'
import type { AgentCredentials } from '../trust/credentials-file.js'
import { createLogger } from '../logger.js'
import type { Logger } from '../logger.js'
import { DEFAULT_CONTROLLER_TIMINGS } from './controller-core.js'
import type { ControllerTimings } from './controller-core.js'
import type { MeshIntent } from './mesh-intent.js'
import type { SignedState } from './desired-state.js'
import type { JoinTokenRecord } from './join-tokens.js'
import type { SequencerLease } from './lease-book.js'
import type { Alert, TopologySpec } from './types.js'
import { parseListen, startMonitorServer } from './monitor-server.js'
import type { MonitorServer } from './monitor-server.js'
import { startLeadership } from './controller-leadership.js'
import type { Leadership } from './controller-leadership.js'
import { sendJson } from './http-json.js'
import { openEtcdStore } from './etcd-store.js'
import type { EtcdStore } from './etcd-store.js'
import { DEFAULT_LEASE_TTL_SECONDS, startControllerElection } from './controller-election.js'
import type { ControllerElection } from './controller-election.js'
import { ControllerError, NotLeaderError } from './errors.js'

export const DEFAULT_CONTROLLER_LISTEN = '127.0.0.1:7460'

export interface ControllerOptions {
  /** Where the store and the authority's files live; in memory without one. */
  dataDir?: string
  /** `host:port` for the HTTP API and dashboard; default 127.0.0.1:7460 (port 0: any). */
  listen?: string
  /** The mesh authority; without it the controller makes one in its data directory. */
  authority?: Authority
  /** The topology of a new mesh (kept afterwards; change it with `ctl policy topology`). */
  topology?: TopologySpec
  /** Heartbeat, down-after and reconciliation intervals. */
  timings?: Partial<ControllerTimings>
  /** The rest of a new mesh's intent (policies, alert actions). */
  intent?: Partial<MeshIntent>
  /**
   * How many relays keep each multicast name's archive, its sequencer included (default 2;
   * 1: none besides the sequencer). A message is acknowledged once all of them hold it; when
   * the sequencer's relay goes down its lease moves to a replica (src/control/lease-book.ts).
   */
  replication?: number
  /** Serves the controller's Prometheus metrics, `/healthz` and `/readyz` on `listen` (`host:port`). */
  metrics?: { listen: string, token?: string }
  /**
   * Keep the state in etcd and lead by election among the controllers that share it
   * (each with the same `authority`, which is then required). `prefix`: where the keys
   * go (default `slim-mesh/<mesh id>/`); `leaseTtlSeconds`: how long a dead leader holds
   * on (default 5 s).
   */
  etcd?: EtcdOptions
}

export interface EtcdOptions {
  /** The etcd members' client URLs, `http://127.0.0.1:2379`. */
  endpoints: string[]
  prefix?: string
  leaseTtlSeconds?: number
}

export interface Controller {
  readonly url: string
  readonly mesh: string
  readonly authority: AuthorityPublic
  /** An admin credential for `slim-mesh ctl` (and where it is kept, with a data directory). */
  readonly adminCredentials: AgentCredentials
  readonly adminCredentialsPath?: string
  /** An issuer for every name (development; only when the controller made the authority), and its file. */
  readonly issuerCredentials?: AgentCredentials
  readonly issuerCredentialsPath?: string
  createJoinToken: (options?: { ttlSeconds?: number, note?: string }) => Promise<{ token: string, record: JoinTokenRecord }>
  /** The desired state now (a `NotLeaderError` on a follower, as every call of the mesh's). */
  state: () => SignedState
  /** A relay's state as the controller sees it (`registered`, `live.inSync`, `live.behind`, `down`). */
  relayState: (peerId: string) => string
  alerts: () => Alert[]
  /** The sequencer leases it granted: each name's holder, term and replicas. */
  leases: () => SequencerLease[]
  /** Where its metrics are served (with `metrics`). */
  readonly metricsUrl?: string
  /** Whether this controller runs the mesh now (always, without etcd). */
  isLeader: () => boolean
  /** The leading controller's URL, as last seen (this one's, while it leads); undefined while none leads. */
  leader: () => string | undefined
  stop: () => Promise<void>
}

export async function createController (options: ControllerOptions = {}): Promise<Controller> {
  const log: Logger = createLogger('slim:controller')
  const { host, port } = parseListen(options.listen ?? DEFAULT_CONTROLLER_LISTEN)
  if (options.etcd != null && options.authority == null) throw new ControllerError(0, 'controller.authority-missing', 'controllers that share etcd must share the mesh authority: give each the same one (--authority FILE, from slim-mesh authority init)')
  let authority = options.authority
  let admin: { admin: AgentCredentials, adminPath?: string }
  let issuer: { credentials?: AgentCredentials, credentialsPath?: string } = {}
  if (authority == null) {
    const dev = await loadOrCreateDevAuthority(options.dataDir)
    authority = dev.authority
    admin = { admin: dev.admin, adminPath: dev.adminPath }
    issuer = { credentials: dev.credentials, credentialsPath: dev.credentialsPath }
  } else {
    admin = await loadOrCreateAdmin(authority, options.dataDir)
  }
  const mesh = authority.authority.mesh
  const etcd: EtcdStore | undefined = options.etcd != null ? await openEtcdStore({ endpoints: options.etcd.endpoints, prefix: options.etcd.prefix ?? `slim-mesh/${mesh}/` }) : undefined
  const store: KeyValueStore = etcd ?? await openStore(options.dataDir)
  const timings: ControllerTimings = { ...DEFAULT_CONTROLLER_TIMINGS, ...options.timings }
  if (options.timings?.downAfterMs == null) timings.downAfterMs = timings.heartbeatMs * 3
  const initialIntent = { ...options.intent, ...(options.topology != null ? { topology: options.topology } : {}) }
  const registry = new Registry()
  let base = ''
  let leading: Leadership | undefined
  let election: ControllerElection | undefined
  let starting: Promise<void> | undefined
  const lead = async (leaderStore: KeyValueStore): Promise<void> => {
    starting = (async () => { leading = await startLeadership({ store: leaderStore, authority: authority as Authority, timings, log, initialIntent, registry, url: () => base, ...(options.replication != null ? { replication: options.replication } : {}) }) })()
    try { await starting } finally { starting = undefined }
  }
  const stepDown = async (): Promise<void> => {
    // A leadership still starting (the election was lost meanwhile) is stopped once it has started.
    await starting?.catch(() => {})
    const l = leading
    leading = undefined
    await l?.stop()
    registry.clear()
    new Gauge({ name: 'slim_controller_leader', help: 'Whether this controller leads (1) or follows (0)', registers: [registry], collect () { this.set(leading != null ? 1 : 0) } })
  }
  if (etcd == null) {
    try { await lead(store) } catch (err) { await store.close(); throw err }
  } else await stepDown()

  const leaderNow = (): Leadership => {
    if (leading != null) return leading
    const leader = election?.leader === base ? undefined : election?.leader
    throw new NotLeaderError(`this controller does not lead the mesh now${leader != null ? `; the leader is ${leader}` : '; no controller leads yet'}`, leader)
  }
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://controller').pathname
    if (path === '/healthz' && req.method === 'GET') { sendJson(res, 200, { status: 'ok', mesh, leader: leading != null, leaderUrl: leading != null ? base : election?.leader ?? null }); return }
    const l = leading
    if (l != null) { void l.router.handle(req, res); return }
    // A follower: the caller should go to the leader (relays given several URLs do). This
    // one, named while it does not serve, is taking over or handing over: no name then.
    const leader = election?.leader === base ? undefined : election?.leader
    res.setHeader('retry-after', '1')
    sendJson(res, 503, { error: 'NotLeaderError', rule: 'controller.not-leader', message: `this controller does not lead the mesh now; ${leader != null ? `the leader is ${leader}` : 'no controller leads yet (or this one is taking over): try again shortly'}`, leader: leader ?? null })
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  }).catch(async (err) => { await leading?.stop(); await store.close(); throw err })
  const addr = server.address() as AddressInfo
  base = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`

  if (etcd != null) {
    const ttlSeconds = Math.max(1, Math.round(options.etcd?.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS))
    const elected = election = startControllerElection({
      client: etcd.client,
      namespace: etcd.prefix,
      name: 'controller',
      ttlSeconds,
      self: { id: randomUUID(), url: base },
      log,
      // Writes of a leadership hold only while its election key does; a refused one ends it.
      startLeadership: async (fence) => {
        const fenced = etcd.fenced(fence)
        const onRefused = (err: unknown): never => { if (err instanceof NotLeaderError) elected.lost(err.message); throw err }
        await lead({ ...fenced, put: async (k, v) => { await fenced.put(k, v).catch(onRefused) }, del: async (k) => { await fenced.del(k).catch(onRefused) } })
      },
      stopLeadership: stepDown
    })
  }

  let monitor: MonitorServer | undefined
  if (options.metrics != null) {
    monitor = await startMonitorServer({
      listen: options.metrics.listen,
      token: options.metrics.token,
      registry,
      log,
      health: () => leading != null ? { mesh, leader: true, generation: leading.core.state.state.generation } : { mesh, leader: false, leaderUrl: election?.leader ?? null },
      // Only the leader is ready for traffic: a load balancer in front of several sends it there.
      ready: () => {
        const core = leading?.core
        if (core == null) return { ready: false, reasons: [`a follower: ${election?.leader != null ? `the leader is ${election.leader}` : 'no controller leads yet'}`] }
        return { ready: true, reasons: [`generation ${core.state.state.generation}, ${core.roster.active().filter(r => core.isUp(r.peerId)).length} of ${core.roster.active().length} relays up`] }
      }
    })
  }
  log.info({ url: base, mesh, dataDir: options.dataDir ?? null, etcd: options.etcd?.endpoints ?? null, metrics: monitor?.url ?? null }, 'controller started')

  let stopped = false
  return {
    url: base,
    mesh,
    authority: authority.authority,
    adminCredentials: admin.admin,
    adminCredentialsPath: admin.adminPath,
    issuerCredentials: issuer.credentials,
    issuerCredentialsPath: issuer.credentialsPath,
    createJoinToken: async (o) => await leaderNow().core.tokens.create(o),
    state: () => leaderNow().core.state,
    relayState: (peerId) => leading?.core.membership(peerId) ?? 'unknown',
    alerts: () => leading?.alerts.active() ?? [],
    leases: () => leading?.core.leases.all() ?? [],
    metricsUrl: monitor != null ? `${monitor.url}/metrics` : undefined,
    isLeader: () => leading != null,
    leader: () => leading != null ? base : election?.leader,
    stop: async () => {
      if (stopped) return
      stopped = true
      await monitor?.close()
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
      if (election != null) await election.stop()
      else await leading?.stop()
      await store.close()
      log.info('controller stopped')
    }
  }
}
