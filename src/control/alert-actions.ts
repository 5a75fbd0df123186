/**
 * What the mesh does about an alert: the intent's `alertActions` name, per alert kind,
 * an action on the agent an alert names (`agent:<name>`): `rate-limit` its publishes to
 * `perSecond`, or `cut` it (refuse its subscribes, serves and publishes); or on the relay
 * it names: `drain` it (no new sessions there). For `forSeconds`. The action becomes an
 * item of the desired state (so every relay enforces it, and it expires with its
 * `until`), and the alert says what was done.
 */
import type { Logger } from '../logger.js'
import type { ControllerCore } from './controller-core.js'
import type { AlertBook } from './alert-book.js'
import type { NamePolicy } from './desired-state.js'
import type { Alert } from './types.js'

export function attachAlertActions (book: AlertBook, core: ControllerCore, log: Logger): void {
  let n = 0
  /** A relay an alert names takes no new sessions for a while. */
  const drain = (alert: Alert, forSeconds: number): void => {
    const peerId = alert.subject.startsWith('relay:') ? alert.subject.slice('relay:'.length) : alert.relay
    if (peerId == null || core.roster.get(peerId) == null) return
    alert.action = `drain relay ${peerId} for ${forSeconds} s (no new sessions)`
    log.warn({ alert: alert.id, action: alert.action }, 'alert action applied')
    void core.change(i => { i.drains = [...i.drains.filter(d => d.peerId !== peerId && d.until > Date.now()), { peerId, reason: `${alert.kind} alert: ${alert.reason}`, until: Date.now() + forSeconds * 1000 }] }).catch(err => {
      alert.action = `${alert.action ?? ''}: failed: ${(err as Error).message}`
    })
  }
  book.onChange((alert: Alert, change) => {
    if (change !== 'raised') return
    const action = core.intent.alertActions.find(a => a.kind === alert.kind)
    if (action == null) return
    if (action.action === 'drain') { drain(alert, action.forSeconds ?? 300); return }
    if (!alert.subject.startsWith('agent:')) return
    const agent = alert.subject.slice('agent:'.length)
    const forSeconds = action.forSeconds ?? 300
    const id = `alert-${Date.now().toString(36)}-${(n++).toString(36)}`
    const policy: NamePolicy = action.action === 'rate-limit'
      ? { id, names: '**', agents: agent, rateLimit: { perSecond: action.perSecond ?? 50 }, reason: `${alert.kind} alert: ${alert.reason}`, until: Date.now() + forSeconds * 1000 }
      : { id, names: '**', agents: agent, deny: ['subscribe', 'serve', 'publish'], reason: `${alert.kind} alert: ${alert.reason}`, until: Date.now() + forSeconds * 1000 }
    alert.action = action.action === 'rate-limit'
      ? `rate-limit ${agent} to ${action.perSecond ?? 50}/s for ${forSeconds} s (policy ${id})`
      : `cut ${agent} for ${forSeconds} s (policy ${id})`
    log.warn({ alert: alert.id, action: alert.action }, 'alert action applied')
    void core.change(i => { i.policies = [...i.policies.filter(p => p.until == null || p.until > Date.now()), policy] }).catch(err => {
      alert.action = `${alert.action ?? ''}: failed: ${(err as Error).message}`
    })
  })
}
