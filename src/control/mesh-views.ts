/**
 * What operators see of the mesh (the `ctl` commands, the dashboard): nodes with their
 * health, links planned and up with their RTT, routes, channels with their sequencer
 * and lag. Computed from the roster, the desired state and the last heartbeats.
 */
import type { ControllerCore } from './controller-core.js'

export interface NodeView {
  peerId: string
  role: string
  order: number
  state: string
  up: boolean
  addrs: string[]
  generation: number
  desired: number
  lastSeen?: number
  sessions?: number
  eventLoopDelayMs?: number
  notApplied: Array<{ id: string, status: string, reason?: string }>
}

export interface LinkView { a: string, b: string, planned: boolean, up: boolean, rttMs?: number }
export interface ChannelView { name: string, sequencer?: string, head: number, followers: Array<{ relay: string, lag: number }> }

export function nodesView (core: ControllerCore): NodeView[] {
  const desired = core.state.state.generation
  return core.roster.active().map(r => {
    const live = core.roster.live.get(r.peerId)
    const hb = live?.heartbeat
    return {
      peerId: r.peerId,
      role: r.role,
      order: r.order,
      state: core.membership(r.peerId),
      up: core.isUp(r.peerId) && live != null,
      addrs: r.addrs,
      generation: hb?.generation ?? 0,
      desired,
      ...(live != null ? { lastSeen: live.lastSeen, sessions: hb?.summary.sessions, eventLoopDelayMs: hb?.summary.eventLoopDelayMs } : {}),
      notApplied: (hb?.items ?? []).filter(i => i.status !== 'applied')
    }
  })
}

export function linksView (core: ControllerCore): LinkView[] {
  const key = (a: string, b: string): string => a < b ? `${a} ${b}` : `${b} ${a}`
  const out = new Map<string, LinkView>()
  for (const [a, b] of core.state.state.links) out.set(key(a, b), { a, b, planned: true, up: false })
  for (const [from, live] of core.roster.live) {
    if (!core.isUp(from)) continue
    for (const l of live.heartbeat.summary.links) {
      const k = key(from, l.peer)
      const [a, b] = k.split(' ') as [string, string]
      const v = out.get(k) ?? { a, b, planned: false, up: false }
      if (l.up) { v.up = true; if (l.rttMs != null) v.rttMs = v.rttMs == null ? l.rttMs : (v.rttMs + l.rttMs) / 2 }
      out.set(k, v)
    }
  }
  return [...out.values()].sort((x, y) => key(x.a, x.b).localeCompare(key(y.a, y.b)))
}

export function routesView (core: ControllerCore): Array<{ relay: string, names: string[] }> {
  return [...core.roster.live].filter(([id]) => core.isUp(id)).map(([relay, l]) => ({ relay, names: l.heartbeat.routes }))
}

export function channelsView (core: ControllerCore): ChannelView[] {
  const byName = new Map<string, ChannelView>()
  for (const [relay, l] of core.roster.live) {
    if (!core.isUp(relay)) continue
    for (const s of l.heartbeat.summary.sequencers) {
      const v = byName.get(s.name) ?? { name: s.name, head: 0, followers: [] }
      if (s.sequencer) v.sequencer = relay
      v.head = Math.max(v.head, s.head)
      if (!s.sequencer) v.followers.push({ relay, lag: s.lag })
      byName.set(s.name, v)
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
}

export function actorsView (core: ControllerCore): Array<{ relay: string, actors: Array<{ actor: string, state: string }> }> {
  return [...core.roster.live].filter(([id]) => core.isUp(id)).map(([relay, l]) => ({ relay, actors: l.heartbeat.actors }))
}
