/**
 * The controller's alerts: raised and ended by the anomaly detectors (anomaly.ts) and by
 * relays going silent, each with its reason, start and end; the actions the mesh's
 * intent attaches to a kind (rate-limit or cut the agent an alert names) are applied
 * through `onRaised` and shown on the alert. Active alerts, and the last 1,000 ended.
 */
import type { Alert } from './types.js'

const HISTORY = 1000

export class AlertBook {
  private readonly open = new Map<string, Alert>()
  private readonly ended: Alert[] = []
  private readonly listeners: Array<(a: Alert, change: 'raised' | 'ended') => void> = []

  onChange (fn: (a: Alert, change: 'raised' | 'ended') => void): void { this.listeners.push(fn) }

  /** Raises `alert` unless one of its kind and subject is open already. */
  raise (alert: Alert): Alert {
    const key = `${alert.kind}|${alert.subject}|${alert.relay ?? ''}`
    const known = this.open.get(key)
    if (known != null) return known
    this.open.set(key, alert)
    for (const fn of this.listeners) fn(alert, 'raised')
    return alert
  }

  end (kind: string, subject: string, at = Date.now(), relay?: string): Alert | undefined {
    const key = `${kind}|${subject}|${relay ?? ''}`
    const a = this.open.get(key)
    if (a == null) return undefined
    this.open.delete(key)
    a.endedAt = at
    this.ended.push(a)
    if (this.ended.length > HISTORY) this.ended.shift()
    for (const fn of this.listeners) fn(a, 'ended')
    return a
  }

  active (): Alert[] { return [...this.open.values()].sort((a, b) => b.startedAt - a.startedAt) }

  /** Active first, then the most recently ended. */
  history (limit = HISTORY): Alert[] { return [...this.active(), ...[...this.ended].reverse()].slice(0, limit) }
}
