/**
 * The desired state's per-name policies as the relay's policy hooks (src/relay/policy.ts):
 * a `deny` rule refuses subscribe, serve or publish on its names to its agents, and a
 * `rateLimit` rule meters each agent's publishes with a token bucket. The rules narrow
 * what grants allow (the gate asks grants first); a relay's own hooks still apply too.
 * Each refusal names the policy that refused it, so an agent's `PermissionDeniedError`
 * says `policy rl-1 (rate limit 50/s): ...`.
 */
import { matchName } from '../trust/patterns.js'
import type { NameRequest, PolicyVerdict, PublishRequest, RelayPolicy, SessionRequest } from '../relay/policy.js'
import type { NamePolicy, PolicyAction } from './desired-state.js'
import type { RetentionPolicy } from '../store/retention.js'

interface Bucket { tokens: number, at: number }
/** Buckets kept per policy (the busiest agents' are kept; the oldest forgotten past this). */
const MAX_BUCKETS = 10_000

/** Whether `agent` (org/ns/service/instance) is one the rule's `agents` pattern names: by its full name or its service. */
function coversAgent (rule: NamePolicy, agent: string): boolean {
  const pattern = rule.agents ?? '**'
  if (pattern === '**') return true
  return matchName(pattern, agent) || matchName(pattern, agent.split('/').slice(0, 3).join('/'))
}

export class NamePolicyEnforcer {
  private rules: NamePolicy[] = []
  private readonly buckets = new Map<string, Map<string, Bucket>>()
  private readonly now: () => number
  /** Refusals per policy id. */
  readonly refusals = new Map<string, number>()
  private drain?: { reason: string, until: number }

  constructor (now: () => number = Date.now) { this.now = now }

  /** The rules now in force (a new set keeps the buckets of rules that stay). */
  set (rules: NamePolicy[]): void {
    this.rules = rules
    const ids = new Set(rules.map(r => r.id))
    for (const id of this.buckets.keys()) if (!ids.has(id)) this.buckets.delete(id)
  }

  get ids (): string[] { return this.rules.map(r => r.id) }

  /** This relay takes no new sessions until `until` (those it has stay); undefined: it does again. */
  setDrain (drain: { reason: string, until: number } | undefined): void { this.drain = drain }

  private admitted (): PolicyVerdict {
    const d = this.drain
    if (d == null || d.until <= this.now()) return true
    return { deny: `this relay is draining until ${new Date(d.until).toISOString()} (${d.reason}); connect to another relay of the mesh` }
  }

  private live (): NamePolicy[] {
    const now = this.now()
    return this.rules.filter(r => r.until == null || r.until > now)
  }

  private refuse (rule: NamePolicy, what: string): { deny: string } {
    this.refusals.set(rule.id, (this.refusals.get(rule.id) ?? 0) + 1)
    return { deny: `refused by policy ${rule.id} (${what})${rule.reason != null ? `: ${rule.reason}` : ''}` }
  }

  private denied (action: PolicyAction, req: NameRequest): PolicyVerdict {
    if (this.rules.length === 0) return true
    for (const rule of this.live()) {
      if (rule.deny?.includes(action) === true && matchName(rule.names, req.name) && coversAgent(rule, req.agent)) return this.refuse(rule, `no ${action} on ${rule.names}`)
    }
    return true
  }

  private metered (req: PublishRequest): PolicyVerdict {
    if (this.rules.length === 0) return true
    const now = this.now()
    for (const rule of this.live()) {
      const limit = rule.rateLimit
      if (limit == null || !matchName(rule.names, req.name) || !coversAgent(rule, req.agent)) continue
      let perAgent = this.buckets.get(rule.id)
      if (perAgent == null) { perAgent = new Map(); this.buckets.set(rule.id, perAgent) }
      const burst = limit.burst ?? limit.perSecond
      let b = perAgent.get(req.agent)
      if (b == null) {
        if (perAgent.size >= MAX_BUCKETS) perAgent.delete(perAgent.keys().next().value as string)
        b = { tokens: burst, at: now }
        perAgent.set(req.agent, b)
      }
      b.tokens = Math.min(burst, b.tokens + (now - b.at) * limit.perSecond / 1000)
      b.at = now
      if (b.tokens < 1) return this.refuse(rule, `rate limit ${limit.perSecond}/s`)
      b.tokens -= 1
    }
    return true
  }

  /**
   * What the archive of `name` keeps, by the first policy in force that covers it and
   * says (undefined: none does; the relay's own retention applies).
   */
  retentionOf (name: string): RetentionPolicy | undefined {
    for (const rule of this.live()) {
      const r = rule.retention
      if (r == null || !matchName(rule.names, name)) continue
      return {
        ...(r.seconds != null ? { maxAgeMs: r.seconds * 1000 } : {}),
        ...(r.bytes != null ? { maxBytes: r.bytes } : {}),
        ...(r.messages != null ? { maxMessages: r.messages } : {})
      }
    }
    return undefined
  }

  /** The hooks, combined with a relay's own (`local`): both must allow. */
  hooks (local: RelayPolicy = {}): RelayPolicy {
    const both = <R>(mine: (req: R) => PolicyVerdict, theirs?: (req: R) => PolicyVerdict) => (req: R): PolicyVerdict => {
      const v = mine(req)
      return v !== true || theirs == null ? v : theirs(req)
    }
    return {
      ...local,
      admitSession: both((_: SessionRequest) => this.admitted(), local.admitSession),
      allowSubscribe: both(req => this.denied('subscribe', req), local.allowSubscribe),
      allowServe: both(req => this.denied('serve', req), local.allowServe),
      allowPublish: both(req => { const v = this.denied('publish', req); return v === true ? this.metered(req) : v }, local.allowPublish)
    }
  }
}
