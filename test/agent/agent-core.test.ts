/**
 * The sans-IO agent core (src/agent/agent-core.ts) on a fake session port and a
 * simulated clock: no relay, no network, no real timers.
 */
import { describe, it, expect } from 'vitest'
import { AgentCore } from '../../src/agent/agent-core.js'
import type { CoreSubscription } from '../../src/agent/agent-core.js'
import type { SessionPort } from '../../src/agent/session-port.js'
import type { PositionStore } from '../../src/agent/positions.js'
import { EnvelopeFactory } from '../../src/agent/envelope-factory.js'
import type { Clock } from '../../src/relay/clock.js'
import { DeliveryMode, MessageType } from '../../src/wire/envelope.pb.js'
import type { Ack, Envelope, Subscribe, Unsubscribe } from '../../src/wire/envelope.pb.js'
import { newEnvelope } from '../../src/wire/new-envelope.js'
import { ErrorCode } from '../../src/wire/errors.js'

const SELF = 'acme/test/app/a1'
const PUBLISH_TIMEOUT = 1000
const REQUEST_TIMEOUT = 500

/** Time that moves only when told; timers fire in time order. */
class SimClock implements Clock {
  private time = 0
  private timers: Array<{ at: number, fn: () => void, cancelled: boolean }> = []
  now = (): number => this.time
  setTimeout = (fn: () => void, ms: number): unknown => {
    const t = { at: this.time + Math.max(0, ms), fn, cancelled: false }
    this.timers.push(t)
    return t
  }

  clearTimeout = (handle: unknown): void => { (handle as { cancelled: boolean }).cancelled = true }

  /** Lets `ms` pass, running each timer due (and the promise continuations after it). */
  async advance (ms: number): Promise<void> {
    const until = this.time + ms
    for (;;) {
      await settle()
      const due = this.timers.filter(t => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at)[0]
      if (due == null) break
      this.timers.splice(this.timers.indexOf(due), 1)
      this.time = due.at
      due.fn()
    }
    this.time = until
    await settle()
  }
}

/** Lets every pending promise continuation run. */
async function settle (): Promise<void> {
  await new Promise<void>(resolve => { setImmediate(resolve) })
}

/** A session that records what the core writes; `up` false is a dropped session. */
class FakeSession implements SessionPort {
  up = true
  backlogged = false
  readonly sent: Envelope[] = []
  readonly subscribes: Subscribe[] = []
  readonly unsubscribes: Unsubscribe[] = []
  private drained: Array<() => void> = []

  async whenWritable (): Promise<void> { await new Promise<void>(resolve => { this.drained.push(resolve) }) }
  drain (): void { this.backlogged = false; for (const d of this.drained.splice(0)) d() }
  send (env: Envelope): boolean { if (!this.up) return false; this.sent.push(env); return true }
  subscribe (request: Subscribe): boolean { if (!this.up) return false; this.subscribes.push(request); return true }
  unsubscribe (request: Unsubscribe): boolean { if (!this.up) return false; this.unsubscribes.push(request); return true }
}

interface TestSub extends CoreSubscription { got: Envelope[], ends: Array<Error | undefined> }

function harness (positions?: PositionStore): { core: AgentCore<TestSub>, session: FakeSession, clock: SimClock, duplicates: Envelope[], envelopes: EnvelopeFactory } {
  const session = new FakeSession()
  const clock = new SimClock()
  const duplicates: Envelope[] = []
  const core = new AgentCore<TestSub>({
    name: SELF,
    port: session,
    clock,
    positions,
    publishTimeoutMs: PUBLISH_TIMEOUT,
    requestTimeoutMs: REQUEST_TIMEOUT,
    handlers: {
      deliver: (sub, env) => { sub.got.push(env) },
      end: (sub, err) => { sub.ends.push(err) },
      duplicate: (_, env) => { duplicates.push(env) }
    }
  })
  core.sessionActive()
  return { core, session, clock, duplicates, envelopes: new EnvelopeFactory(SELF) }
}

function ack (env: Envelope, fields: Partial<Ack> = {}): Ack {
  return { messageId: env.messageId, seq: 0, code: 0, reason: '', epoch: 0, ...fields }
}

function multicast (name: string, seq: number): Envelope {
  return newEnvelope({ mode: DeliveryMode.MULTICAST, destination: name, source: 'acme/test/pub/p1', seq, messageId: new Uint8Array([seq, 1, 2, 3]) })
}

/** Subscribes and answers as the relay would, with `nextSeq`. */
async function subscribed (h: ReturnType<typeof harness>, name: string, nextSeq: number, fromSeq?: number): Promise<TestSub> {
  const sub: TestSub = { name, position: 0, got: [], ends: [] }
  const done = h.core.subscribe(sub, { fromSeq })
  await settle()
  const request = h.session.subscribes.at(-1) as Subscribe
  h.core.subscribed({ requestId: request.requestId, name, nextSeq, code: 0, reason: '' })
  await expect(done).resolves.toBe(nextSeq)
  return sub
}

describe('AgentCore', () => {
  it('resolves a publish with its ack, and rejects one with the typed error of an error ack', async () => {
    const h = harness()
    const a = h.envelopes.build('acme/test/news', 'one', { mode: 'multicast' })
    const b = h.envelopes.build('acme/test/news', 'two', { mode: 'multicast' })
    const pa = h.core.send(a)
    const pb = h.core.send(b)
    expect(h.session.sent).toEqual([a, b])
    h.core.ackArrived(ack(a, { seq: 7 }))
    h.core.ackArrived(ack(b, { code: ErrorCode.NO_ROUTE, reason: 'nobody serves acme/test/news' }))
    await expect(pa).resolves.toMatchObject({ seq: 7 })
    await expect(pb).rejects.toMatchObject({ name: 'NoRouteError', message: 'nobody serves acme/test/news' })
  })

  it('fails a publish with TimeoutError at its deadline, truthfully: never sent is withdrawn, sent is said to be sent', async () => {
    const h = harness()
    const sentOne = h.envelopes.build('acme/test/news', 'sent', { mode: 'multicast' })
    const p1 = h.core.send(sentOne)
    const r1 = p1.catch((e: Error) => e)
    h.core.sessionDown()
    h.session.up = false
    await h.clock.advance(PUBLISH_TIMEOUT / 2)
    const unsent = h.envelopes.build('acme/test/news', 'unsent', { mode: 'multicast' })
    const r2 = h.core.send(unsent).catch((e: Error) => e)
    await h.clock.advance(PUBLISH_TIMEOUT / 2 - 1)
    expect(await Promise.race([r1, settle().then(() => 'pending')])).toBe('pending')
    await h.clock.advance(1)
    expect(await r1).toMatchObject({ name: 'TimeoutError', message: expect.stringContaining('sent but not acknowledged') })
    expect(await Promise.race([r2, settle().then(() => 'pending')])).toBe('pending')
    await h.clock.advance(PUBLISH_TIMEOUT / 2)
    expect(await r2).toMatchObject({ name: 'TimeoutError', message: expect.stringContaining('was not sent') })
    // Back up: neither goes out again.
    h.session.up = true
    h.core.sessionActive()
    expect(h.session.sent).toEqual([sentOne])
  })

  it('resends what is unacknowledged on resume, in publish order with the same message ids, then what never left', async () => {
    const h = harness()
    const first = ['a', 'b', 'c'].map(t => h.envelopes.build('acme/test/news', t, { mode: 'multicast' }))
    const acks = first.map(env => h.core.send(env))
    h.core.ackArrived(ack(first[1] as Envelope, { seq: 1 }))
    h.core.sessionDown()
    h.session.up = false
    const later = h.envelopes.build('acme/test/news', 'd', { mode: 'multicast' })
    const late = h.core.send(later)
    expect(h.session.sent).toHaveLength(3)
    h.session.up = true
    h.core.sessionActive()
    const resent = h.session.sent.slice(3)
    expect(resent.map(e => e.messageId)).toEqual([first[0]?.messageId, first[2]?.messageId, later.messageId])
    h.core.ackArrived(ack(first[0] as Envelope, { seq: 0 }))
    h.core.ackArrived(ack(first[2] as Envelope, { seq: 2 }))
    h.core.ackArrived(ack(later, { seq: 3 }))
    await expect(Promise.all([...acks, late])).resolves.toMatchObject([{ seq: 0 }, { seq: 1 }, { seq: 2 }, { seq: 3 }])
  })

  it('holds publishes back while the session is backlogged, and writes them when it drains', async () => {
    const h = harness()
    h.session.backlogged = true
    const env = h.envelopes.build('acme/test/news', 'x', { mode: 'multicast' })
    void h.core.send(env)
    expect(h.session.sent).toHaveLength(0)
    h.session.drain()
    await settle()
    expect(h.session.sent).toEqual([env])
  })

  it('correlates a reply with its request; the reply reaches no subscriber', async () => {
    const h = harness()
    const inbox = await subscribed(h, SELF, 0)
    const req = h.envelopes.build('acme/test/worker', 'ping', {})
    const replied = h.core.request(req)
    const sent = h.session.sent[0] as Envelope
    expect(sent.expectsReply).toBe(true)
    const reply = newEnvelope({ mode: DeliveryMode.UNICAST, destination: SELF, source: 'acme/test/worker/w1', messageId: new Uint8Array([9]), correlationId: sent.messageId, payload: new TextEncoder().encode('pong') })
    h.core.envelopeArrived(reply)
    await expect(replied).resolves.toBe(reply)
    expect(inbox.got).toEqual([])
  })

  it('fails a request with TimeoutError when no reply comes, and with the error ack when it cannot be routed', async () => {
    const h = harness()
    const slow = h.core.request(h.envelopes.build('acme/test/worker', 'ping', {})).catch((e: Error) => e)
    await h.clock.advance(REQUEST_TIMEOUT)
    expect(await slow).toMatchObject({ name: 'TimeoutError', message: `request to acme/test/worker timed out after ${REQUEST_TIMEOUT} ms` })
    const req = h.envelopes.build('acme/test/nobody', 'ping', {})
    const unroutable = h.core.request(req)
    h.core.ackArrived(ack(req, { code: ErrorCode.NO_ROUTE, reason: 'no instance of acme/test/nobody' }))
    await expect(unroutable).rejects.toMatchObject({ name: 'NoRouteError' })
    await expect(h.core.request(h.envelopes.build('acme/test/news', 'x', { mode: 'multicast' }))).rejects.toMatchObject({ name: 'InvalidNameError' })
  })

  it('drops duplicate deliveries (a message id seen again, a sequence number below the position) and reports them', async () => {
    const h = harness()
    const service = await subscribed(h, 'acme/test/app', 0)
    const news = await subscribed(h, 'acme/test/news', 3)
    const uni = newEnvelope({ mode: DeliveryMode.ANYCAST, destination: 'acme/test/app', source: 'acme/test/other/o1', messageId: new Uint8Array([1, 1]) })
    h.core.envelopeArrived(uni)
    h.core.envelopeArrived({ ...uni })
    h.core.envelopeArrived(multicast('acme/test/news', 3))
    h.core.envelopeArrived(multicast('acme/test/news', 3))
    h.core.envelopeArrived(multicast('acme/test/news', 2))
    expect(service.got).toEqual([uni])
    expect(news.got.map(e => e.seq)).toEqual([3])
    expect(h.duplicates.map(e => e.seq)).toEqual([0, 3, 2])
  })

  it('advances positions with deliveries, saves them, renews from the next sequence number after a reconnect, and loads a saved one', async () => {
    const saved = new Map<string, number>()
    const positions: PositionStore = { load: async (name) => saved.get(name), save: async (name, p) => { saved.set(name, p) } }
    const h = harness(positions)
    const news = await subscribed(h, 'acme/test/news', 5)
    expect(news.position).toBe(5)
    for (const seq of [5, 6, 7]) h.core.envelopeArrived(multicast('acme/test/news', seq))
    expect(news.position).toBe(8)
    await h.clock.advance(100)
    expect(saved.get('acme/test/news')).toBe(8)
    h.core.sessionDown()
    h.core.sessionActive()
    expect(h.session.subscribes.at(-1)).toMatchObject({ name: 'acme/test/news', fromSeq: 8 })
    expect(h.session.subscribes.at(-1)?.requestId).not.toBe(h.session.subscribes[0]?.requestId)
    // A fresh core (a restart) with no fromSeq resumes from the saved position.
    const again = harness(positions)
    await subscribed(again, 'acme/test/news', 8)
    expect(again.session.subscribes[0]).toMatchObject({ name: 'acme/test/news', fromSeq: 8 })
  })

  it('after a reconnect takes nothing past the position until the renewal is answered: the relay\'s replay from the position is not dropped', async () => {
    const h = harness()
    const news = await subscribed(h, 'acme/test/news', 5)
    h.core.envelopeArrived(multicast('acme/test/news', 5))
    // The session is lost; the relay went on writing 6..9 to the dead stream.
    h.core.sessionDown()
    // Before the relay reads the renewal it goes on from where it thinks it got to, and
    // the new session's first messages can come before the core hears it is active.
    h.core.envelopeArrived(multicast('acme/test/news', 10))
    h.core.sessionActive()
    const renewal = h.session.subscribes.at(-1) as Subscribe
    expect(renewal).toMatchObject({ name: 'acme/test/news', fromSeq: 6 })
    h.core.envelopeArrived(multicast('acme/test/news', 11))
    h.core.subscribed({ requestId: renewal.requestId, name: 'acme/test/news', nextSeq: 6, code: 0, reason: '' })
    for (const seq of [6, 7, 8, 9, 10, 11, 12]) h.core.envelopeArrived(multicast('acme/test/news', seq))
    expect(news.got.map(e => e.seq)).toEqual([5, 6, 7, 8, 9, 10, 11, 12])
    expect(h.duplicates.map(e => e.seq)).toEqual([10, 11])
  })

  it('asks again for a subscription whose first answer was lost with the session, under the same request id', async () => {
    const h = harness()
    const sub: TestSub = { name: 'acme/test/news', position: 0, got: [], ends: [] }
    const done = h.core.subscribe(sub, { fromSeq: 4 })
    await settle()
    const first = h.session.subscribes[0] as Subscribe
    h.core.sessionDown()
    h.core.sessionActive()
    expect(h.session.subscribes[1]).toEqual({ requestId: first.requestId, name: 'acme/test/news', fromSeq: 4 })
    h.core.subscribed({ requestId: first.requestId, name: 'acme/test/news', nextSeq: 4, code: 0, reason: '' })
    await expect(done).resolves.toBe(4)
  })

  it('ends a subscription whose renewal the relay refuses', async () => {
    const h = harness()
    const news = await subscribed(h, 'acme/test/news', 0)
    h.core.sessionActive()
    const renewal = h.session.subscribes.at(-1) as Subscribe
    h.core.subscribed({ requestId: renewal.requestId, name: 'acme/test/news', nextSeq: 0, code: ErrorCode.PERMISSION_DENIED, reason: 'not allowed (subscribe)' })
    expect(news.ends).toEqual([expect.objectContaining({ name: 'PermissionDeniedError' })])
  })

  it('hands channel control sent to this agent to the channel layer, not to its inbox; a Msg goes to the inbox', async () => {
    const h = harness()
    const inbox = await subscribed(h, SELF, 0)
    const control: Envelope[] = []
    const off = h.core.onControl(env => { control.push(env) })
    const welcome = newEnvelope({ type: MessageType.GROUP_WELCOME, mode: DeliveryMode.UNICAST, destination: SELF, source: 'acme/test/owner/o1', messageId: new Uint8Array([5]), channelId: 'acme/test/room' })
    const msg = newEnvelope({ mode: DeliveryMode.UNICAST, destination: SELF, source: 'acme/test/owner/o1', messageId: new Uint8Array([6]) })
    h.core.envelopeArrived(welcome)
    h.core.envelopeArrived(msg)
    expect(control).toEqual([welcome])
    expect(inbox.got).toEqual([msg])
    off()
    h.core.envelopeArrived({ ...welcome, messageId: new Uint8Array([7]) })
    expect(control).toHaveLength(1)
  })

  it('on close ends every subscription, fails what was in flight with SessionClosedError, and refuses more', async () => {
    const h = harness()
    const news = await subscribed(h, 'acme/test/news', 0)
    const pending = h.core.send(h.envelopes.build('acme/test/news', 'x', { mode: 'multicast' }))
    await h.core.close()
    await expect(pending).rejects.toMatchObject({ name: 'SessionClosedError' })
    expect(news.ends).toEqual([undefined])
    await expect(h.core.send(h.envelopes.build('acme/test/news', 'y', { mode: 'multicast' }))).rejects.toMatchObject({ name: 'SessionClosedError' })
  })
})
