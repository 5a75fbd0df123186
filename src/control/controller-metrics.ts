/**
 * The controller's Prometheus metrics (its own `Registry`): the roster by state, the
 * desired state's generation and plan, alerts, refused requests, heartbeats, and the
 * mesh-wide view summed from the relays' last heartbeats (sessions, messages by mode,
 * denials). Read when scraped.
 */
import { Counter, Gauge, Registry } from 'prom-client'
import type { ControllerCore } from './controller-core.js'
import type { ControllerAuth } from './controller-auth.js'
import type { AlertBook } from './alert-book.js'
import { linksView } from './mesh-views.js'

export interface ControllerMetrics { registry: Registry, heartbeat: () => void }

/** Into `registry` if given (a controller that changes leaders keeps one registry and fills it again). */
export function controllerMetrics (core: ControllerCore, auth: ControllerAuth, alerts: AlertBook, registry = new Registry()): ControllerMetrics {
  registry.setDefaultLabels({ mesh: core.mesh })
  new Gauge({
    name: 'slim_controller_relays', help: 'Relays on the roster, by state (registered, live.inSync, live.behind, down)', labelNames: ['state'], registers: [registry],
    collect () {
      this.reset()
      for (const r of core.roster.active()) this.inc({ state: core.membership(r.peerId) })
    }
  })
  new Gauge({ name: 'slim_controller_generation', help: 'The desired state\'s generation', registers: [registry], collect () { this.set(core.state.state.generation) } })
  new Gauge({
    name: 'slim_controller_links', help: 'Links of the plan, and of those the ones up', labelNames: ['which'], registers: [registry],
    collect () {
      const links = linksView(core)
      this.set({ which: 'planned' }, links.filter(l => l.planned).length)
      this.set({ which: 'up' }, links.filter(l => l.planned && l.up).length)
    }
  })
  new Gauge({
    name: 'slim_controller_alerts_active', help: 'Alerts open now, by kind', labelNames: ['kind'], registers: [registry],
    collect () { this.reset(); for (const a of alerts.active()) this.inc({ kind: a.kind }) }
  })
  new Gauge({
    name: 'slim_controller_refusals', help: 'Requests refused so far, by rule', labelNames: ['rule'], registers: [registry],
    collect () { this.reset(); for (const [rule, n] of auth.refusals) this.set({ rule }, n) }
  })
  const heartbeats = new Counter({ name: 'slim_controller_heartbeats_total', help: 'Heartbeats taken', registers: [registry] })
  new Gauge({
    name: 'slim_mesh_sessions', help: 'Agent sessions on every live relay (from their last heartbeat)', registers: [registry],
    collect () { let n = 0; for (const [id, l] of core.roster.live) if (core.isUp(id)) n += l.heartbeat.summary.sessions; this.set(n) }
  })
  new Gauge({
    name: 'slim_mesh_messages_in', help: 'Messages taken from agents by every live relay since it started, by mode', labelNames: ['mode'], registers: [registry],
    collect () {
      this.reset()
      for (const [id, l] of core.roster.live) {
        if (!core.isUp(id)) continue
        for (const [mode, n] of Object.entries(l.heartbeat.summary.messagesIn)) this.inc({ mode }, n)
      }
    }
  })
  new Gauge({
    name: 'slim_mesh_policy_denials', help: 'Refusals by every live relay since it started, by rule', labelNames: ['rule'], registers: [registry],
    collect () {
      this.reset()
      for (const [id, l] of core.roster.live) {
        if (!core.isUp(id)) continue
        for (const [rule, n] of Object.entries(l.heartbeat.summary.denials)) this.inc({ rule }, n)
      }
    }
  })
  return { registry, heartbeat: () => { heartbeats.inc() } }
}
