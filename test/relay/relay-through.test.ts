/**
 * The relay-through table of docs/ARCHITECTURE.md ("Message types: processed and relayed
 * through"), checked on a line of three relays with agents on both ends and in the
 * middle: each unicast type reaches the named agent and nobody else (not even another
 * instance of the same service), each multicast type every subscriber of the name and
 * nobody else, and payload and metadata arrive byte for byte as sent.
 */
import { randomBytes } from 'node:crypto'
import { describe, it, expect, afterEach } from 'vitest'
import { agent, collect, line, stopAll, waitFor } from '../helpers.js'
import { agentInternals } from '../../src/agent/agent.js'
import type { Agent } from '../../src/agent/agent.js'
import type { Message } from '../../src/agent/message.js'
import type { Relay } from '../../src/node/relay-node.js'
import { MessageType } from '../../src/wire/envelope.pb.js'
import type { Envelope } from '../../src/wire/envelope.pb.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const META = { 'app.k': 'v', 'slim.note': 'untouched ✓' }

/** Control envelopes each agent was handed (unicast types arrive there). */
function controls (a: Agent): Envelope[] {
  const out: Envelope[] = []
  agentInternals(a).onControl(env => { out.push(env) })
  return out
}

function build (from: Agent, to: string, type: MessageType, mode: 'unicast' | 'multicast' | 'anycast'): Envelope {
  const env = agentInternals(from).envelope(to, randomBytes(64), { mode })
  env.type = type
  env.channelId = 'acme/rt/channel'
  for (const [k, v] of Object.entries(META)) env.metadata.set(k, v)
  return env
}

function expectUntouched (got: { payload?: Uint8Array, data?: Uint8Array, metadata: Map<string, string>, source: string, channelId: string }, sent: Envelope, from: Agent): void {
  expect(hex(got.payload ?? got.data ?? new Uint8Array(0))).toBe(hex(sent.payload))
  expect(Object.fromEntries(got.metadata)).toEqual(META)
  expect(got.source).toBe(from.name)
  expect(got.channelId).toBe(sent.channelId)
}

describe('relay-through types on a 3-relay line', () => {
  let relays: Relay[] = []
  let agents: Agent[] = []
  afterEach(async () => { await stopAll(...relays, ...agents); relays = []; agents = [] })

  it('each unicast type (Welcome, Join/Leave request and reply, DiscoveryReply) reaches exactly the named agent, untouched', async () => {
    relays = await line(3)
    const [r0, r1, r2] = relays as [Relay, Relay, Relay]
    const left = await agent(r0, 'acme/rt/left')
    const middle = await agent(r1, 'acme/rt/middle')
    const right = await agent(r2, 'acme/rt/end')
    // Another instance of the right end's service, on the other end of the line.
    const twin = await agent(r0, 'acme/rt/end')
    agents = [left, middle, right, twin]
    const got = new Map(agents.map(a => [a, controls(a)]))
    const types = [MessageType.GROUP_WELCOME, MessageType.JOIN_REQUEST, MessageType.JOIN_REPLY, MessageType.LEAVE_REQUEST, MessageType.LEAVE_REPLY, MessageType.DISCOVERY_REPLY]
    const replies = new Set([MessageType.JOIN_REPLY, MessageType.LEAVE_REPLY, MessageType.DISCOVERY_REPLY])
    // End to end (two hops), and from the middle to an end.
    const routes: Array<[Agent, Agent]> = [[left, right], [middle, left], [right, middle]]
    const sent: Array<{ env: Envelope, from: Agent, to: Agent }> = []
    for (const [from, to] of routes) {
      for (const type of types) {
        const env = build(from, to.name, type, 'unicast')
        if (replies.has(type)) {
          // A reply: the relay acknowledges none, so the send is not awaited.
          env.correlationId = randomBytes(16)
          void agentInternals(from).send(env).catch(() => {})
        } else {
          await agentInternals(from).send(env)
        }
        sent.push({ env, from, to })
      }
    }
    await waitFor(() => sent.every(s => got.get(s.to)?.some(e => hex(e.messageId) === hex(s.env.messageId)) === true), 'every unicast to reach its agent')
    for (const s of sent) {
      for (const a of agents) {
        const copies = got.get(a)?.filter(e => hex(e.messageId) === hex(s.env.messageId)) ?? []
        expect(copies.length, `${s.env.type} from ${s.from.name} to ${s.to.name}, at ${a.name}`).toBe(a === s.to ? 1 : 0)
        if (a === s.to) {
          const e = copies[0] as Envelope
          expect(e.type).toBe(s.env.type)
          expect(e.destination).toBe(s.to.name)
          expectUntouched(e, s.env, s.from)
        }
      }
    }
    expect(got.get(twin)).toHaveLength(0)
  })

  it('DiscoveryRequest and GroupClose reach every subscriber of the name on every relay, numbered, untouched; nobody else', async () => {
    relays = await line(3)
    const [r0, r1, r2] = relays as [Relay, Relay, Relay]
    const name = 'acme/rt/channel'
    const left = await agent(r0, 'acme/rt/left')
    const middle = await agent(r1, 'acme/rt/middle')
    const right = await agent(r2, 'acme/rt/right')
    const outsider = await agent(r2, 'acme/rt/outsider') // subscribes to nothing: sends, and must receive nothing
    agents = [left, middle, right, outsider]
    const subscribers = [left, middle, right]
    const boxes = new Map<Agent, Message[]>()
    for (const a of subscribers) boxes.set(a, collect(await a.subscribe(name)))
    const outsiderControls = controls(outsider)
    const sends: Array<{ env: Envelope, from: Agent, seq: number }> = []
    for (const [from, type, mode] of [
      [outsider, MessageType.DISCOVERY_REQUEST, 'multicast'],
      [middle, MessageType.DISCOVERY_REQUEST, 'multicast'],
      [left, MessageType.GROUP_CLOSE, 'multicast'],
      // GroupClose goes through the sequencer whatever its mode says (as commits do).
      [right, MessageType.GROUP_CLOSE, 'anycast']
    ] as const) {
      const env = build(from, name, type, mode)
      const ack = await agentInternals(from).send(env)
      expect(ack.seq).toBeGreaterThan(0)
      sends.push({ env, from, seq: ack.seq })
    }
    await waitFor(() => subscribers.every(a => (boxes.get(a)?.length ?? 0) >= sends.length), 'every subscriber to read every multicast')
    for (const a of subscribers) {
      const box = boxes.get(a) as Message[]
      expect(box.map(m => hex(m.id))).toEqual(sends.map(s => hex(s.env.messageId)))
      for (const [i, s] of sends.entries()) {
        const m = box[i] as Message
        expect(m.type).toBe(s.env.type)
        expect(m.mode).toBe('multicast')
        expect(m.seq).toBe(s.seq)
        expectUntouched(m, s.env, s.from)
      }
    }
    expect(outsiderControls).toHaveLength(0)
    // A GroupClose is for a channel name: sent to an agent name it is refused, not delivered to it.
    await expect(agentInternals(left).send(build(left, right.name, MessageType.GROUP_CLOSE, 'unicast'))).rejects.toMatchObject({ name: 'InvalidNameError' })
  })
})
