/**
 * The one place where the relay asks its policy (src/relay/policy.ts) and, when it runs
 * with trust, the grants of each attached agent's credential (src/trust/grants.ts).
 * Every check goes through here, so a hook is asked the same way wherever the decision
 * is made, a hook that throws refuses (closed, not open, when the policy is broken), and
 * every refusal is counted by rule and by agent and name.
 *
 * With trust on, grants are asked first and deny by default: an agent without a
 * credential here (or without the grant) is refused, whatever the hooks say; the hooks
 * can only refuse more.
 */
import type { NameRoute } from '../wire/envelope.pb.js'
import type { DeliveryModeName, LinkKind, PolicyVerdict, RelayPolicy, SessionRequest } from './policy.js'
import type { AgentCredential } from '../trust/verifier.js'
import type { GrantSet } from '../trust/grants.js'

/** A hook's name, or the grant that refused (`grant.subscribe`, `grant.publish.multicast`, ...). */
export type PolicyRule = keyof RelayPolicy | `grant.${string}`

/** Agents whose denials are counted (the oldest is forgotten past this). */
const MAX_COUNTED_AGENTS = 10_000
const MAX_COUNTED_NAMES = 256

export class RelayGate {
  private policy: RelayPolicy
  /** Whether grants are checked (the relay runs with trust). */
  readonly trusted: boolean
  /** Refusals so far, by rule. */
  readonly denials = new Map<PolicyRule, number>()
  /** Refusals so far, by agent, then by name. */
  readonly denialsByAgent = new Map<string, Map<string, number>>()
  private readonly credentials = new Map<string, AgentCredential>()

  constructor (policy: RelayPolicy = {}, trusted = false) {
    this.policy = policy
    this.trusted = trusted
  }

  /** Takes a new policy (at run time: it applies from the next check on). */
  set (policy: RelayPolicy): void { this.policy = policy }

  /** An attached agent's credential, from its admission on (until `forget`): its grants are what it may do. */
  admit (agent: string, credential: AgentCredential): void { this.credentials.set(agent, credential) }
  forget (agent: string): void { this.credentials.delete(agent) }
  credentialOf (agent: string): AgentCredential | undefined { return this.credentials.get(agent) }
  private grantsOf (agent: string): GrantSet | undefined { return this.credentials.get(agent)?.grants }

  private count (rule: PolicyRule, agent?: string, name?: string): void {
    this.denials.set(rule, (this.denials.get(rule) ?? 0) + 1)
    if (agent == null || name == null) return
    let names = this.denialsByAgent.get(agent)
    if (names == null) {
      if (this.denialsByAgent.size >= MAX_COUNTED_AGENTS) this.denialsByAgent.delete(this.denialsByAgent.keys().next().value as string)
      names = new Map()
      this.denialsByAgent.set(agent, names)
    }
    if (!names.has(name) && names.size >= MAX_COUNTED_NAMES) return
    names.set(name, (names.get(name) ?? 0) + 1)
  }

  private ask<R> (rule: PolicyRule, hook: ((req: R) => PolicyVerdict) | undefined, req: R, agent?: string, name?: string): PolicyVerdict {
    if (hook == null) return true
    let verdict: PolicyVerdict
    try {
      verdict = hook(req)
    } catch (err) {
      verdict = { deny: `the ${rule} policy failed: ${(err as Error).message}` }
    }
    if (verdict !== true) {
      this.count(rule, agent, name)
      return { deny: typeof verdict?.deny === 'string' ? verdict.deny : `refused by the ${rule} policy` }
    }
    return true
  }

  /** Undefined if the agent's grants allow it; else the refusal (counted unless `quiet`). */
  private grant (agent: string, name: string, what: string, ok: (g: GrantSet) => boolean, quiet = false): { deny: string, rule: PolicyRule } | undefined {
    if (!this.trusted) return undefined
    const g = this.grantsOf(agent)
    const rule: PolicyRule = `grant.${what}`
    if (g != null && ok(g)) return undefined
    if (!quiet) this.count(rule, agent, name)
    return { rule, deny: g == null ? 'it holds no credential at this relay' : `its credential has no ${what} grant for ${name}` }
  }

  session (req: SessionRequest): PolicyVerdict { return this.ask('admitSession', this.policy.admitSession, req) }
  link (peer: string, kind: LinkKind): PolicyVerdict { return this.ask('admitLink', this.policy.admitLink, { peer, kind }) }

  subscribe (agent: string, name: string): PolicyVerdict & { rule?: PolicyRule } {
    // Serving a name is receiving it as one of its instances: a serve grant lets it subscribe too.
    const refused = this.grant(agent, name, 'subscribe', g => g.maySubscribe(name) || g.mayServe(name))
    if (refused != null) return refused
    const v = this.ask('allowSubscribe', this.policy.allowSubscribe, { agent, name }, agent, name)
    return v === true ? v : { ...v, rule: 'allowSubscribe' }
  }

  /** May it serve `name`? Asked on each subscribe; `quiet`: a refusal is not counted (it only subscribes). */
  serve (agent: string, name: string, quiet = false): PolicyVerdict {
    const refused = this.grant(agent, name, 'serve', g => g.mayServe(name), quiet)
    if (refused != null) return refused
    return this.ask('allowServe', this.policy.allowServe, { agent, name }, agent, name)
  }

  /** May it create the channel `name` (its first commit)? */
  createChannel (agent: string, name: string): PolicyVerdict & { rule?: PolicyRule } {
    return this.grant(agent, name, 'channels', g => g.mayCreateChannel(name)) ?? true
  }

  publish (agent: string, name: string, mode: DeliveryModeName, type: string): PolicyVerdict & { rule?: PolicyRule } {
    if (this.trusted) {
      const g = this.grantsOf(agent)
      if (g == null || !g.mayPublish(mode, name)) {
        const refused = this.grant(agent, name, `publish.${mode}`, () => false)
        if (refused != null) return refused
      }
    }
    const hook = this.policy.allowPublish
    if (hook == null) return true // the hot path: nothing allocated when no policy asks
    const v = this.ask('allowPublish', hook, { agent, name, mode, type }, agent, name)
    return v === true ? v : { ...v, rule: 'allowPublish' }
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
