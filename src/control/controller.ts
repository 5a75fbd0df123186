/**
 * `createController`: the control plane's controller. It holds the mesh authority (its
 * own, made in its data directory on first start, or one it is given), so it is where
 * relays get their credentials (by join token) and operators get agents' credentials;
 * it keeps the roster, the operator's intent and the signed desired state in its
 * embedded store (LevelDB, like relays), serves the HTTP API relays and operators use,
 * and runs the anomaly detectors over what relays report.
 *
 * ```ts
 * const controller = await createController({ dataDir: './ctl', listen: '127.0.0.1:7460' })
 * const { token } = await controller.createJoinToken()
 * const relay = await createRelay({ control: { url: controller.url, joinToken: token } })
 * ```
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { openStore } from '../store/level-store.js'
import { loadOrCreateAdmin, loadOrCreateDevAuthority } from '../trust/dev-authority.js'
import type { Authority, AuthorityPublic } from '../trust/keys.js'
import type { AgentCredentials } from '../trust/credentials-file.js'
import { createLogger } from '../logger.js'
import type { Logger } from '../logger.js'
import { ControllerCore, DEFAULT_CONTROLLER_TIMINGS } from './controller-core.js'
import type { ControllerTimings } from './controller-core.js'
import { ControllerAuth } from './controller-auth.js'
import { controllerRoutes } from './controller-api.js'
import { AlertBook } from './alert-book.js'
import { AnomalyDetector } from './anomaly.js'
import { attachAlertActions } from './alert-actions.js'
import type { Heartbeat } from './roster.js'
import type { MeshIntent } from './mesh-intent.js'
import type { SignedState } from './desired-state.js'
import type { JoinTokenRecord } from './join-tokens.js'
import type { SequencerLease } from './lease-book.js'
import type { Alert, TopologySpec } from './types.js'
import { parseListen, startMonitorServer } from './monitor-server.js'
import type { MonitorServer } from './monitor-server.js'
import { controllerMetrics } from './controller-metrics.js'
import { dashboardPage } from './dashboard-page.js'

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
  /** The desired state now. */
  state: () => SignedState
  /** A relay's state as the controller sees it (`registered`, `live.inSync`, `live.behind`, `down`). */
  relayState: (peerId: string) => string
  alerts: () => Alert[]
  /** The sequencer leases it granted: each name's holder, term and replicas. */
  leases: () => SequencerLease[]
  /** Where its metrics are served (with `metrics`). */
  readonly metricsUrl?: string
  stop: () => Promise<void>
}

export async function createController (options: ControllerOptions = {}): Promise<Controller> {
  const log: Logger = createLogger('slim:controller')
  const { host, port } = parseListen(options.listen ?? DEFAULT_CONTROLLER_LISTEN)
  const store = await openStore(options.dataDir)
  let authority = options.authority
  let admin: { admin: AgentCredentials, adminPath?: string }
  let issuer: { credentials?: AgentCredentials, credentialsPath?: string } = {}
  try {
    if (authority == null) {
      const dev = await loadOrCreateDevAuthority(options.dataDir)
      authority = dev.authority
      admin = { admin: dev.admin, adminPath: dev.adminPath }
      issuer = { credentials: dev.credentials, credentialsPath: dev.credentialsPath }
    } else {
      admin = await loadOrCreateAdmin(authority, options.dataDir)
    }
  } catch (err) {
    await store.close()
    throw err
  }
  const timings: ControllerTimings = { ...DEFAULT_CONTROLLER_TIMINGS, ...options.timings }
  if (options.timings?.downAfterMs == null) timings.downAfterMs = timings.heartbeatMs * 3
  const core = new ControllerCore({ store, authority, timings, log, ...(options.replication != null ? { replication: options.replication } : {}), initialIntent: { ...options.intent, ...(options.topology != null ? { topology: options.topology } : {}) } })
  await core.start()
  const auth = new ControllerAuth(core.anchors, (peerId) => { const r = core.roster.get(peerId); return r != null && r.removed !== true })
  const alerts = new AlertBook()
  core.onRelayDown((peerId, down) => {
    if (down) {
      const lastSeen = core.roster.live.get(peerId)?.lastSeen
      alerts.raise({ id: `relay-silent-${peerId}-${Date.now()}`, kind: 'relay-silent', subject: `relay:${peerId}`, relay: peerId, reason: `relay ${peerId} sent no heartbeat for ${timings.downAfterMs} ms${lastSeen != null ? ` (last at ${new Date(lastSeen).toISOString()})` : ''}: marked down, links re-planned without it`, value: lastSeen != null ? Date.now() - lastSeen : timings.downAfterMs, baseline: timings.heartbeatMs, startedAt: Date.now() })
    } else alerts.end('relay-silent', `relay:${peerId}`, Date.now(), peerId)
  })
  const detector = new AnomalyDetector()
  attachAlertActions(alerts, core, log)
  const metrics = controllerMetrics(core, auth, alerts)
  const onHeartbeat = (peerId: string, hb: Heartbeat): void => {
    metrics.heartbeat()
    for (const c of detector.observeSummary(peerId, hb.summary, Date.now())) {
      if (c.type === 'alert.raised') alerts.raise(c.alert)
      else alerts.end(c.alert.kind, c.alert.subject, c.alert.endedAt, c.alert.relay)
    }
  }
  let base = ''
  const router = controllerRoutes({ core, auth, store, alerts, onHeartbeat, dashboardPage, url: () => base })
  const server: Server = createServer((req, res) => { void router.handle(req, res) })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  }).catch(async (err) => { await core.stop(); await store.close(); throw err })
  const addr = server.address() as AddressInfo
  base = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
  let monitor: MonitorServer | undefined
  if (options.metrics != null) {
    monitor = await startMonitorServer({
      listen: options.metrics.listen,
      token: options.metrics.token,
      registry: metrics.registry,
      log,
      health: () => ({ mesh: core.mesh, generation: core.state.state.generation }),
      ready: () => ({ ready: true, reasons: [`generation ${core.state.state.generation}, ${core.roster.active().filter(r => core.isUp(r.peerId)).length} of ${core.roster.active().length} relays up`] })
    })
  }
  log.info({ url: base, mesh: core.mesh, dataDir: options.dataDir ?? null, metrics: monitor?.url ?? null }, 'controller started')

  let stopped = false
  return {
    url: base,
    mesh: core.mesh,
    authority: authority.authority,
    adminCredentials: admin.admin,
    adminCredentialsPath: admin.adminPath,
    issuerCredentials: issuer.credentials,
    issuerCredentialsPath: issuer.credentialsPath,
    createJoinToken: async (o) => await core.tokens.create(o),
    state: () => core.state,
    relayState: (peerId) => core.membership(peerId),
    alerts: () => alerts.active(),
    leases: () => core.leases.all(),
    metricsUrl: monitor != null ? `${monitor.url}/metrics` : undefined,
    stop: async () => {
      if (stopped) return
      stopped = true
      await monitor?.close()
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
      await core.stop()
      await store.close()
      log.info('controller stopped')
    }
  }
}
