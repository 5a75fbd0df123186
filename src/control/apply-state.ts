/**
 * Applying a desired state on one relay, idempotently: applying the same document twice
 * changes nothing the second time. Links: the relay keeps exactly the links the plan
 * gives it (the relay with the lower peer id dials, the other waits for it), and drops
 * the others; policies become the relay's policy hooks; revocations are taken; external
 * issuers and settings are set. Every item gets a status with a reason, which the relay
 * reports with its heartbeat.
 */
import type { RelayPolicy } from '../relay/policy.js'
import type { RelayConfig } from '../relay/types.js'
import { DEFAULT_RELAY_CONFIG } from '../relay/types.js'
import type { ExternalIssuer } from '../trust/verifier.js'
import type { Logger } from '../logger.js'
import type { DesiredState } from './desired-state.js'
import type { NamePolicyEnforcer } from './name-policy.js'
import type { ItemStatus } from './roster.js'
import type { RelaySummary } from './types.js'

/** What applying needs of a relay (the `Relay` of src/node/relay-node.ts has it all). */
export interface ControlledRelay {
  readonly peerId: string
  readonly multiaddrs: string[]
  peers: () => Array<{ peerId: string, kind: string, linked: boolean }>
  /** Links to the relay at `addr`, or gives an existing link that address too. */
  dial: (addr: string) => void
  dropLink: (peerId: string) => Promise<void>
  configure: (changes: { config?: Partial<RelayConfig>, policy?: RelayPolicy }) => void
  revoke: (jwt: string) => Promise<unknown>
  setExternalIssuers: (list: ExternalIssuer[]) => void
  summary: () => RelaySummary
  /** Service names with instances attached here. */
  routes: () => string[]
  /** Live actors and their states. */
  actors: () => Array<{ actor: string, state: string }>
}

function jtiOf (jwt: string): string {
  try { return String((JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: string }).jti) } catch { return '?' }
}

/** The neighbours the plan gives `self`. */
export function plannedNeighbours (state: DesiredState, self: string): string[] {
  return state.links.filter(([a, b]) => a === self || b === self).map(([a, b]) => a === self ? b : a)
}

export class StateApplier {
  private readonly relay: ControlledRelay
  private readonly enforcer: NamePolicyEnforcer
  private readonly localPolicy?: RelayPolicy
  private readonly log: Logger
  private readonly taken = new Map<string, ItemStatus>()
  private other: ItemStatus[] = []
  private state?: DesiredState
  private policyInstalled = false
  /** Planned links not up, and for how many passes. */
  private readonly missing = new Map<string, number>()

  constructor (relay: ControlledRelay, enforcer: NamePolicyEnforcer, log: Logger, localPolicy?: RelayPolicy) {
    this.relay = relay
    this.enforcer = enforcer
    this.localPolicy = localPolicy
    this.log = log
  }

  async apply (state: DesiredState): Promise<void> {
    this.state = state
    const other: ItemStatus[] = []
    this.enforcer.set(state.policies)
    if (!this.policyInstalled) { this.relay.configure({ policy: this.enforcer.hooks(this.localPolicy) }); this.policyInstalled = true }
    for (const p of state.policies) other.push({ id: `policy:${p.id}`, status: 'applied' })
    const drain = state.drains.find(d => d.peerId === this.relay.peerId)
    this.enforcer.setDrain(drain)
    if (drain != null) other.push({ id: `drain:${drain.peerId}`, status: 'applied' })
    try {
      this.relay.setExternalIssuers(state.issuers)
      for (const i of state.issuers) other.push({ id: `issuer:${i.prefix}`, status: 'applied' })
    } catch (err) {
      for (const i of state.issuers) other.push({ id: `issuer:${i.prefix}`, status: 'failed', reason: (err as Error).message })
    }
    const config: Partial<RelayConfig> = {}
    for (const [k, v] of Object.entries(state.relayConfig)) {
      if (!(k in DEFAULT_RELAY_CONFIG)) { other.push({ id: `config:${k}`, status: 'failed', reason: `no relay setting ${k}` }); continue }
      if (typeof v !== typeof DEFAULT_RELAY_CONFIG[k as keyof RelayConfig]) { other.push({ id: `config:${k}`, status: 'failed', reason: `${k} takes a ${typeof DEFAULT_RELAY_CONFIG[k as keyof RelayConfig]}` }); continue }
      ;(config as Record<string, unknown>)[k] = v
      other.push({ id: `config:${k}`, status: 'applied' })
    }
    this.relay.configure({ config })
    this.other = other
    for (const jwt of state.revocations) {
      const id = `revocation:${jtiOf(jwt)}`
      if (this.taken.get(id)?.status === 'applied') continue
      try {
        await this.relay.revoke(jwt)
        this.taken.set(id, { id, status: 'applied' })
      } catch (err) {
        this.taken.set(id, { id, status: 'failed', reason: (err as Error).message })
      }
    }
    await this.reconcileLinks()
  }

  /** Makes the relay's links match the plan (again: at every heartbeat, so a link that went away is dialled again). */
  async reconcileLinks (): Promise<void> {
    const state = this.state
    if (state == null) return
    const self = this.relay.peerId
    const want = new Set(plannedNeighbours(state, self))
    const addrs = new Map(state.relays.map(r => [r.peerId, r.addrs]))
    const have = new Map(this.relay.peers().map(p => [p.peerId, p]))
    for (const peer of want) {
      const p = have.get(peer)
      if (p?.linked === true) { this.missing.delete(peer); continue }
      // The relay with the lower id dials at once; the other one too once the link has
      // been missing for two passes (its peer may not know where it is: it moved).
      const passes = (this.missing.get(peer) ?? 0) + 1
      this.missing.set(peer, passes)
      if (self > peer && passes < 3) continue
      const addr = addrs.get(peer)?.[0]
      if (addr == null) continue
      try {
        this.relay.dial(addr.includes('/p2p/') ? addr : `${addr}/p2p/${peer}`)
      } catch (err) {
        this.log.warn({ peer, addr, error: (err as Error).message }, 'dialling a planned link failed')
      }
    }
    for (const peer of this.missing.keys()) if (!want.has(peer)) this.missing.delete(peer)
    // The controller may think a relay down that this one still hears (a controller cut off
    // from part of the mesh): a live link to it stays, so the data plane trusts its own eyes.
    const down = new Set(state.relays.filter(r => !r.up).map(r => r.peerId))
    for (const [peer, p] of have) {
      if (want.has(peer) || p.kind !== 'mesh') continue
      if (down.has(peer) && p.linked) continue
      this.log.info({ peer }, 'dropping a link the plan no longer has')
      await this.relay.dropLink(peer)
    }
  }

  /** Every item of the state applied last, with its status now. */
  items (): ItemStatus[] {
    const state = this.state
    if (state == null) return []
    const linked = new Map(this.relay.peers().map(p => [p.peerId, p.linked]))
    const addrs = new Map(state.relays.map(r => [r.peerId, r.addrs]))
    const links: ItemStatus[] = plannedNeighbours(state, this.relay.peerId).map(peer => {
      const id = `link:${peer}`
      if (linked.get(peer) === true) return { id, status: 'applied' }
      if ((addrs.get(peer)?.length ?? 0) === 0 && this.relay.peerId < peer) return { id, status: 'pending', reason: 'its addresses are not known yet' }
      return { id, status: 'pending', reason: linked.has(peer) ? 'linking' : this.relay.peerId > peer ? 'waiting for it to dial' : 'not dialled yet' }
    })
    return [...links, ...this.other, ...this.taken.values()]
  }
}
