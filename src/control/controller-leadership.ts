/**
 * What a controller runs while it leads: the core (roster, intent, tokens, desired state,
 * reconciliation), who may call it, the alert book and its detectors, the metrics and the
 * API's routes, all built afresh from the store. A controller on its own builds one when
 * it starts and keeps it; one of several on etcd builds one each time it wins the
 * election and stops it when it loses, so a new leader knows only what the store says
 * (never what an earlier leadership of its own had in memory).
 */
import type { Registry } from 'prom-client'
import type { KeyValueStore } from '../store/store.js'
import type { Authority } from '../trust/keys.js'
import type { Logger } from '../logger.js'
import { ControllerCore } from './controller-core.js'
import type { ControllerTimings } from './controller-core.js'
import { ControllerAuth } from './controller-auth.js'
import { controllerRoutes } from './controller-api.js'
import { AlertBook } from './alert-book.js'
import { AnomalyDetector } from './anomaly.js'
import { attachAlertActions } from './alert-actions.js'
import type { Heartbeat } from './roster.js'
import type { MeshIntent } from './mesh-intent.js'
import type { Router } from './http-json.js'
import { controllerMetrics } from './controller-metrics.js'
import { dashboardPage } from './dashboard-page.js'

export interface LeadershipInit {
  store: KeyValueStore
  authority: Authority
  timings: ControllerTimings
  log: Logger
  initialIntent: Partial<MeshIntent>
  /** The controller's registry: emptied and filled with this leadership's series. */
  registry: Registry
  /** The controller's base URL (for the dashboard link). */
  url: () => string
  /** Relays that keep each multicast name's archive (src/control/lease-book.ts). */
  replication?: number
}

export interface Leadership {
  readonly core: ControllerCore
  readonly alerts: AlertBook
  readonly router: Router
  stop: () => Promise<void>
}

export async function startLeadership (init: LeadershipInit): Promise<Leadership> {
  const { store, authority, timings, log } = init
  const core = new ControllerCore({ store, authority, timings, log, initialIntent: init.initialIntent, ...(init.replication != null ? { replication: init.replication } : {}) })
  try {
    await core.start()
  } catch (err) {
    await core.stop()
    throw err
  }
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
  init.registry.clear()
  const metrics = controllerMetrics(core, auth, alerts, init.registry)
  const onHeartbeat = (peerId: string, hb: Heartbeat): void => {
    metrics.heartbeat()
    for (const c of detector.observeSummary(peerId, hb.summary, Date.now())) {
      if (c.type === 'alert.raised') alerts.raise(c.alert)
      else alerts.end(c.alert.kind, c.alert.subject, c.alert.endedAt, c.alert.relay)
    }
  }
  const router = controllerRoutes({ core, auth, store, alerts, onHeartbeat, dashboardPage, url: init.url })
  let stopping: Promise<void> | undefined
  return {
    core,
    alerts,
    router,
    stop: async () => {
      stopping ??= (async () => {
        await core.stop()
        init.registry.clear()
      })()
      await stopping
    }
  }
}
