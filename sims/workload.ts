/**
 * The workload of a scenario, planned up front from the seed so that both engines run
 * exactly the same one: who the agents are and where they attach, and every action in
 * time order: multicast chatter on a few channels, anycast requests to a service with
 * many instances, and agent churn (an agent leaves and later comes back, resuming its
 * subscriptions where it stopped).
 *
 * Roles: each channel has an owner (a subscriber on the relay that sequences it) and
 * publishers; the anycast service has workers (the first one's relay sequences the
 * service name, which workers subscribe to) and clients; everyone else subscribes to
 * one channel. Owners, publishers and the first worker sit in the first half of the
 * relays, so that a partition can cut off the second half without cutting a publisher
 * from its sequencer (see the notes in scenario.ts).
 */
import type { Rng } from './prng.js'
import type { AgentSpec } from './engine.js'

export type Role = 'owner' | 'publisher' | 'subscriber' | 'worker' | 'client'

export interface PlannedAgent extends AgentSpec {
  role: Role
  /** The channel index for owners, publishers and subscribers. */
  channel?: number
}

export type Action =
  | { at: number, kind: 'publish', agent: number, channel: number, msg: number }
  | { at: number, kind: 'request', agent: number, msg: number }
  | { at: number, kind: 'leave', agent: number }
  | { at: number, kind: 'rejoin', agent: number }

export interface WorkloadOptions {
  relays: number
  agents: number
  /** Traffic time (ms). */
  durationMs: number
  /** Multicast names; default 1 per 8 agents, 1 to 4. */
  channels?: number
  /** Multicast messages per second per channel; default 20. */
  publishRate?: number
  /** Anycast requests per second in all; default 10. */
  requestRate?: number
  /** Agents leaving (and coming back) per second; default max(0.5, agents / 500). */
  churnRate?: number
  payloadBytes?: number
  /** One subscriber reads at a third of its channel's rate. */
  slowConsumer?: boolean
}

export interface WorkloadPlan {
  channels: string[]
  service: string
  agents: PlannedAgent[]
  /** In time order; `at` is ms from the start of traffic. */
  actions: Action[]
  messages: number
  payloadBytes: number
  durationMs: number
}

export const SIM_ORG = 'sim'

export function planWorkload (options: WorkloadOptions, rng: Rng): WorkloadPlan {
  const m = options.agents
  const n = options.relays
  if (m < 6) throw new Error(`a workload needs at least 6 agents (owner, publisher, subscriber, worker, client per channel), not ${m}`)
  const c = options.channels ?? Math.min(4, Math.max(1, Math.floor(m / 8)))
  const publishRate = options.publishRate ?? 20
  const requestRate = options.requestRate ?? 10
  const churnRate = options.churnRate ?? Math.max(0.5, m / 500)
  const perChannel = m >= 40 ? 2 : 1
  const workers = Math.max(1, Math.round(m * 0.05))
  const clients = Math.max(1, Math.round(m * 0.05))
  if (c * (2 + perChannel) + workers + clients > m) throw new Error(`${m} agents are too few for ${c} channels: give at least ${c * (2 + perChannel) + workers + clients}`)
  const channels = Array.from({ length: c }, (_, i) => `${SIM_ORG}/chat/ch${i}`)
  const service = `${SIM_ORG}/rpc/worker`
  const firstHalf = Math.max(1, Math.ceil(n / 2))
  const agents: PlannedAgent[] = []
  const add = (role: Role, relay: number, service: string, channel?: number): void => {
    agents.push({ index: agents.length, relay, service, role, channel })
  }
  // Owners on distinct relays where possible, so sequencing is spread.
  const ownerRelays = rng.shuffle(Array.from({ length: firstHalf }, (_, i) => i))
  for (let ch = 0; ch < c; ch++) add('owner', ownerRelays[ch % ownerRelays.length] as number, `${SIM_ORG}/chat/owner`, ch)
  for (let ch = 0; ch < c; ch++) for (let p = 0; p < perChannel; p++) add('publisher', rng.int(firstHalf), `${SIM_ORG}/chat/pub`, ch)
  add('worker', rng.int(firstHalf), service)
  for (let w = 1; w < workers; w++) add('worker', rng.int(n), service)
  for (let k = 0; k < clients; k++) add('client', rng.int(n), `${SIM_ORG}/rpc/client`)
  // Subscribers: round robin over channels; the first few land on every relay in turn so
  // that each relay has traffic, the rest at random.
  const rest = m - agents.length
  for (let s = 0; s < rest; s++) add('subscriber', s < n ? (n - 1 - s) : rng.int(n), `${SIM_ORG}/chat/reader`, s % c)
  if (options.slowConsumer === true) {
    const slow = agents.find(a => a.role === 'subscriber' && a.channel === 0)
    if (slow != null) slow.slowMs = 3 * 1000 / publishRate
  }

  const actions: Action[] = []
  const publishers = agents.filter(a => a.role === 'publisher')
  for (const p of publishers) {
    const mean = 1000 * perChannel / publishRate
    for (let t = rng.exp(mean); t < options.durationMs; t += rng.exp(mean)) {
      actions.push({ at: t, kind: 'publish', agent: p.index, channel: p.channel ?? 0, msg: 0 })
    }
  }
  const clientAgents = agents.filter(a => a.role === 'client')
  if (requestRate > 0) {
    for (const cl of clientAgents) {
      const mean = 1000 * clientAgents.length / requestRate
      for (let t = rng.exp(mean); t < options.durationMs; t += rng.exp(mean)) {
        actions.push({ at: t, kind: 'request', agent: cl.index, msg: 0 })
      }
    }
  }
  // Churn: subscribers (not owners, not the slow one) and workers (not the first) leave
  // for 0.2 to 1 s; an agent does not leave again while away.
  const churnable = agents.filter(a => (a.role === 'subscriber' && a.slowMs == null) || (a.role === 'worker' && a.index !== agents.find(w => w.role === 'worker')?.index))
  const awayUntil = new Map<number, number>()
  if (churnRate > 0 && churnable.length > 0) {
    for (let t = rng.exp(1000 / churnRate); t < options.durationMs * 0.8; t += rng.exp(1000 / churnRate)) {
      const a = rng.pick(churnable)
      if ((awayUntil.get(a.index) ?? -1) > t) continue
      const back = t + 200 + rng.next() * 800
      awayUntil.set(a.index, back + 100)
      actions.push({ at: t, kind: 'leave', agent: a.index })
      actions.push({ at: back, kind: 'rejoin', agent: a.index })
    }
  }
  actions.sort((x, y) => x.at - y.at || order(x) - order(y) || x.agent - y.agent)
  let msg = 0
  for (const a of actions) if (a.kind === 'publish' || a.kind === 'request') a.msg = msg++
  return { channels, service, agents, actions, messages: msg, payloadBytes: Math.max(16, options.payloadBytes ?? 64), durationMs: options.durationMs }
}

function order (a: Action): number {
  return a.kind === 'publish' ? 0 : a.kind === 'request' ? 1 : a.kind === 'leave' ? 2 : 3
}

/** A payload that carries the logical message number and the send time. */
export function encodePayload (msg: number, sentAt: number, bytes: number): Uint8Array {
  const out = new Uint8Array(Math.max(16, bytes))
  const v = new DataView(out.buffer)
  v.setUint32(0, msg)
  v.setFloat64(4, sentAt)
  return out
}

export function decodePayload (payload: Uint8Array): { msg: number, sentAt: number } {
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  return { msg: v.getUint32(0), sentAt: v.getFloat64(4) }
}

/** A message id unique to (logical message, attempt-free): retries reuse it. */
export function messageIdFor (msg: number, rng: Rng): Uint8Array {
  const id = new Uint8Array(16)
  const v = new DataView(id.buffer)
  v.setUint32(0, 0x51a51a00)
  v.setUint32(4, msg)
  v.setUint32(8, Math.floor(rng.next() * 0x100000000))
  v.setUint32(12, Math.floor(rng.next() * 0x100000000))
  return id
}
