/**
 * Quotas per agent (src/relay/agent-quotas.ts), with real relays and agents: past each
 * quota the request that would cross it fails with `QuotaExceededError` naming the quota
 * and its limit, the refusal is counted, the same agent's requests within quota and a
 * second agent on the same relay are served, and releasing frees the quota.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { agent, line, relay, stopAll, text, waitFor } from '../helpers.js'
import { relayInternals, createRelay } from '../../src/node/relay-node.js'
import { QuotaExceededError } from '../../src/relay/errors.js'
import type { Relay } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'

let things: Array<Agent | Relay> = []
afterEach(async () => { await stopAll(...things); things = [] })

/** The error `p` fails with (the test fails if it does not fail). */
async function refusal (p: Promise<unknown>): Promise<QuotaExceededError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(QuotaExceededError)
  return err as QuotaExceededError
}

const multicast = { mode: 'multicast' } as const

describe('quotas per agent', () => {
  it('subscriptions: the one past the limit is refused with the quota named, the inbox and other agents are not touched, an unsubscribe frees one', async () => {
    const r = await relay({ quotas: { subscriptions: 3 }, metrics: { listen: '127.0.0.1:0' } })
    const a = await agent(r, 'acme/quota/a')
    const b = await agent(r, 'acme/quota/b')
    things.push(r, a, b)
    const subs = await Promise.all([0, 1, 2].map(async i => await a.subscribe(`acme/quota/n${i}`)))
    const err = await refusal(a.subscribe('acme/quota/n3'))
    expect(err.name).toBe('QuotaExceededError')
    expect(err.quota).toBe('subscriptions')
    expect(err.limit).toBe(3)
    expect(err.message).toContain('subscriptions quota (limit 3)')
    expect(relayInternals(r).counters.quotaRefusals.subscriptions).toBe(1)
    expect(r.summary().quotaRefusals).toEqual({ subscriptions: 1, names: 0, bytesInFlight: 0 })
    expect(await (await fetch(r.metricsUrl as string)).text()).toContain('slim_quota_refusals_total{quota="subscriptions"} 1')
    // The same agent, within quota: its inbox (not counted) and its publishes still work.
    await a.inbox()
    expect((await a.publish('acme/quota/n0', text('still'), multicast)).seq).toBeGreaterThan(0)
    // Another agent on the same relay has its own quota.
    for (let i = 0; i < 3; i++) await b.subscribe(`acme/quota/n${i}`)
    // Unsubscribing frees one.
    await subs[0]?.close()
    await a.subscribe('acme/quota/n3')
    await refusal(a.subscribe('acme/quota/n4'))
    expect(relayInternals(r).counters.quotaRefusals.subscriptions).toBe(2)
  }, 30_000)

  it('names: a new multicast name past the limit in the window is refused, names in use and other agents go on, a name unused for the window is free again', async () => {
    const windowMs = 1500
    const r = await relay({ quotas: { names: 2, namesWindowMs: windowMs } })
    const a = await agent(r, 'acme/quota/a')
    const b = await agent(r, 'acme/quota/b')
    things.push(r, a, b)
    await a.publish('acme/quota/m0', text('0'), multicast)
    await a.publish('acme/quota/m1', text('1'), multicast)
    const err = await refusal(a.publish('acme/quota/m2', text('2'), multicast))
    expect(err.quota).toBe('names')
    expect(err.limit).toBe(2)
    expect(relayInternals(r).counters.quotaRefusals.names).toBe(1)
    // A name it holds already is not new; unicast and anycast make no names.
    expect((await a.publish('acme/quota/m0', text('again'), multicast)).seq).toBe(2)
    const sink = await agent(r, 'acme/quota/sink')
    things.push(sink)
    await sink.inbox()
    await a.publish(sink.name, text('direct'))
    // Another agent on the same relay is not touched: it publishes to the name refused to a.
    for (const n of ['m2', 'm0']) await b.publish(`acme/quota/${n}`, text('b'), multicast)
    // Once m1 has gone unused for the window (m0 too), m2 goes.
    await waitFor(async () => {
      try {
        await a.publish('acme/quota/m2', text('late'), multicast)
        return true
      } catch (e) {
        if ((e as Error).name !== 'QuotaExceededError') throw e
        return false
      }
    }, 'm2 to be within the names quota again', windowMs * 4)
  }, 30_000)

  it('bytes in flight: a publish past the bytes not yet acknowledged is refused, smaller ones and other agents go on, an acknowledgement frees its bytes', async () => {
    // A fresh sequencer holds its first messages for claimSettleMs: publishes stay unanswered that long.
    const r = await relay({ quotas: { bytesInFlight: 2000 }, config: { claimSettleMs: 1500 } })
    const a = await agent(r, 'acme/quota/a')
    const b = await agent(r, 'acme/quota/b')
    things.push(r, a, b)
    const kb = new Uint8Array(1000) // 1,160 bytes counted (160 for the envelope)
    const first = a.publish('acme/quota/slow', kb, multicast)
    const err = await refusal(a.publish('acme/quota/slow', kb, multicast))
    expect(err.quota).toBe('bytesInFlight')
    expect(err.limit).toBe(2000)
    expect(err.message).toContain('1160 bytes of its publishes are not answered yet')
    expect(relayInternals(r).counters.quotaRefusals.bytesInFlight).toBe(1)
    expect(relayInternals(r).quotas.usageOf(a.name).bytesInFlight).toBe(1160)
    // Within quota, the same agent's smaller publish is taken; another agent is not touched.
    const [small, other] = await Promise.all([
      a.publish('acme/quota/slow', new Uint8Array(500), multicast),
      b.publish('acme/quota/slow', kb, multicast)
    ])
    expect((await first).seq).toBe(1)
    expect(small.seq).toBeGreaterThan(1)
    expect(other.seq).toBeGreaterThan(1)
    // Acknowledged: its bytes are free.
    expect(relayInternals(r).quotas.usageOf(a.name).bytesInFlight).toBe(0)
    await Promise.all([a.publish('acme/quota/slow', kb, multicast), a.publish('acme/quota/fast', new Uint8Array(600), multicast)])
  }, 30_000)

  it('bytes in flight: a unicast forwarded to another relay is held until that relay\'s answer comes back, then freed', async () => {
    const [r0, r1] = await line(2, { quotas: { bytesInFlight: 2000 } }) as [Relay, Relay]
    const a = await agent(r0, 'acme/quota/a')
    const sink = await agent(r1, 'acme/quota/sink')
    things.push(r0, r1, a, sink)
    await sink.inbox()
    await waitFor(() => relayInternals(r0).table.findInstance('acme/quota/sink', sink.name.split('/')[3] as string) != null, 'a route to the sink')
    const kb = new Uint8Array(1000)
    // Each needs the one before freed: 2 x 1,160 bytes is over 2,000.
    for (let i = 0; i < 5; i++) await a.publish(sink.name, kb)
    expect(relayInternals(r0).quotas.usageOf(a.name).bytesInFlight).toBe(0)
    const [one, two] = await Promise.allSettled([a.publish(sink.name, kb), a.publish(sink.name, kb)])
    expect(one.status).toBe('fulfilled')
    expect(two.status === 'rejected' && (two.reason as Error).name).toBe('QuotaExceededError')
  }, 30_000)

  it('a quota that is not a whole number, 0 or more, is an InvalidQuotaError before anything starts', async () => {
    await expect(createRelay({ trust: 'open', quotas: { subscriptions: -1 } })).rejects.toMatchObject({ name: 'InvalidQuotaError', message: expect.stringContaining('quotas.subscriptions is -1') })
    await expect(createRelay({ trust: 'open', quotas: { bytesInFlight: 1.5 } })).rejects.toMatchObject({ name: 'InvalidQuotaError' })
    await expect(createRelay({ trust: 'open', quotas: { namesWindowMs: 0 } })).rejects.toMatchObject({ name: 'InvalidQuotaError' })
    await expect(createRelay({ trust: 'open', quotas: { sessions: 3 } as never })).rejects.toMatchObject({ name: 'InvalidQuotaError', message: expect.stringContaining('no quota "sessions"') })
  })
})
