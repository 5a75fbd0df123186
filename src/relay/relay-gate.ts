/**
 * The one place where the relay asks its policy (src/relay/policy.ts). Every check goes
 * through here, so a hook is asked the same way wherever the decision is made, a hook
 * that throws refuses (closed, not open, when the policy is broken), and every refusal
 * is counted by rule.
 */
import type { NameRoute } from '../wire/envelope.pb.js'
import type { DeliveryModeName, LinkKind, PolicyVerdict, RelayPolicy, SessionRequest } from './policy.js'

export type PolicyRule = keyof RelayPolicy

export class RelayGate {
  private policy: RelayPolicy
  /** Refusals so far, by rule. */
  readonly denials = new Map<PolicyRule, number>()

  constructor (policy: RelayPolicy = {}) {
    this.policy = policy
  }

  /** Takes a new policy (at run time: it applies from the next check on). */
  set (policy: RelayPolicy): void { this.policy = policy }

  private ask<R> (rule: PolicyRule, hook: ((req: R) => PolicyVerdict) | undefined, req: R): PolicyVerdict {
    if (hook == null) return true
    let verdict: PolicyVerdict
    try {
      verdict = hook(req)
    } catch (err) {
      verdict = { deny: `the ${rule} policy failed: ${(err as Error).message}` }
    }
    if (verdict !== true) {
      this.denials.set(rule, (this.denials.get(rule) ?? 0) + 1)
      return { deny: typeof verdict?.deny === 'string' ? verdict.deny : `refused by the ${rule} policy` }
    }
    return true
  }

  session (req: SessionRequest): PolicyVerdict { return this.ask('admitSession', this.policy.admitSession, req) }
  link (peer: string, kind: LinkKind): PolicyVerdict { return this.ask('admitLink', this.policy.admitLink, { peer, kind }) }
  subscribe (agent: string, name: string): PolicyVerdict { return this.ask('allowSubscribe', this.policy.allowSubscribe, { agent, name }) }
  serve (agent: string, name: string): PolicyVerdict { return this.ask('allowServe', this.policy.allowServe, { agent, name }) }
  publish (agent: string, name: string, mode: DeliveryModeName, type: string): PolicyVerdict {
    const hook = this.policy.allowPublish
    if (hook == null) return true // the hot path: nothing allocated when no policy asks
    return this.ask('allowPublish', hook, { agent, name, mode, type })
  }

  /** The routes of an announcement from `peer` that this relay keeps. */
  imported (peer: string, kind: LinkKind, routes: NameRoute[]): NameRoute[] {
    return this.filter(this.policy.importRoute, peer, kind, routes)
  }

  /** The routes this relay announces to `peer`. */
  exported (peer: string, kind: LinkKind, routes: NameRoute[]): NameRoute[] {
    return this.filter(this.policy.exportRoute, peer, kind, routes)
  }

  private filter (hook: RelayPolicy['importRoute'], peer: string, kind: LinkKind, routes: NameRoute[]): NameRoute[] {
    if (hook == null) return kind === 'mesh' ? routes : []
    return routes.filter(route => {
      try { return hook({ peer, kind, route }) } catch { return false } // a throwing hook refuses, as every hook does
    })
  }
}
