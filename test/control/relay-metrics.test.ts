/**
 * A relay's metrics and health endpoints (src/control/relay-metrics.ts,
 * src/control/monitor-server.ts, src/node/relay-stats.ts): two real relays linked on
 * 127.0.0.1, each serving `/metrics`, `/healthz` and `/readyz` on its own port. Agents
 * publish multicast and anycast and get their acknowledgements; `/metrics` is fetched over
 * HTTP and parsed with a Prometheus text-format parser, and the counts must have moved
 * where the traffic went. `/readyz` turns 503 when the relay loses its only link.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { agent, collect, line, relay, routed, stopAll, text, waitFor } from '../helpers.js'
import { rawSession } from '../relay/raw-session.js'
import type { Relay } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import { createAuthority } from '../../src/trust/keys.js'
import { delegateIssuer } from '../../src/trust/tokens.js'
import type { AgentCredentials } from '../../src/trust/credentials-file.js'
import { scrape } from './prometheus.js'

const NEWS = 'acme/metrics/news'
const SVC = 'acme/metrics/svc'
const SECRET = 'acme/secret/plans'

let r0: Relay
let r1: Relay
let alice: Agent
let bob: Agent
let carol: Agent
const others: Array<{ close?: () => unknown, stop?: () => unknown }> = []

beforeAll(async () => {
  ;[r0, r1] = await line(2, {
    metrics: { listen: '127.0.0.1:0' },
    policy: { allowSubscribe: ({ name }) => name.startsWith('acme/secret/') ? { deny: 'secret names are not for agents' } : true }
  }) as [Relay, Relay]
  alice = await agent(r0, 'acme/metrics/alice')
  carol = await agent(r0, 'acme/metrics/carol')
  bob = await agent(r1, 'acme/metrics/bob')
  const bobGot = collect(await bob.subscribe(NEWS))
  const carolGot = collect(await carol.subscribe(NEWS))
  const served = collect(await bob.subscribe(SVC))
  await routed([r0, r1], SVC)
  for (let i = 0; i < 3; i++) await alice.publish(NEWS, text(`news ${i}`), { mode: 'multicast' })
  for (let i = 0; i < 2; i++) await alice.publish(SVC, text(`job ${i}`))
  await waitFor(() => bobGot.length === 3 && carolGot.length === 3 && served.length === 2, 'every message delivered')
}, 60_000)

afterAll(async () => { await stopAll(r0, r1, alice, bob, carol, ...others) })

describe('relay metrics', () => {
  it('each relay serves its own registry on its own loopback port', () => {
    expect(r0.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    expect(r1.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    expect(r0.metricsUrl).not.toBe(r1.metricsUrl)
  })

  it('counts messages in by mode, acks and deliveries where the traffic went', async () => {
    const m0 = await scrape(r0.metricsUrl as string)
    const m1 = await scrape(r1.metricsUrl as string)
    expect(m0.families.get('slim_messages_in_total')?.type).toBe('COUNTER')
    // alice published 3 multicast and 2 anycast at r0; nothing entered r1 from an agent.
    expect(m0.value('slim_messages_in_total', { mode: 'multicast' })).toBe(3)
    expect(m0.value('slim_messages_in_total', { mode: 'anycast' })).toBe(2)
    expect(m0.value('slim_messages_in_total', { mode: 'unicast' })).toBe(0)
    expect(m1.value('slim_messages_in_total', { mode: 'multicast' })).toBe(0)
    // Every publish of alice's was acknowledged to her at r0.
    expect(m0.value('slim_acks_total')).toBe(5)
    // r1 delivered 3 multicast and 2 anycast to bob; r0 delivered 3 multicast to carol.
    expect(m1.value('slim_deliveries_total')).toBe(5)
    expect(m1.value('slim_messages_out_total', { mode: 'multicast' })).toBe(3)
    expect(m1.value('slim_messages_out_total', { mode: 'anycast' })).toBe(2)
    expect(m0.value('slim_deliveries_total')).toBe(3)
    expect(m0.value('slim_sessions')).toBe(2)
    expect(m1.value('slim_sessions')).toBe(1)
    expect(m0.value('slim_links_up')).toBe(1)
    expect(m0.series('slim_relay_info')).toEqual([{ labels: { peer_id: r0.peerId, mesh: r0.mesh }, value: 1 }])
    expect(m0.value('slim_queued_bytes')).toBeGreaterThanOrEqual(0)
    expect(m0.value('slim_event_loop_delay_seconds')).toBeGreaterThanOrEqual(0)
  })

  it('reports the name\'s sequencer head on the relay that sequences it, and the follower\'s head and lag on the other', async () => {
    await waitFor(async () => {
      const [m0, m1] = await Promise.all([scrape(r0.metricsUrl as string), scrape(r1.metricsUrl as string)])
      return [m0, m1].every(m => m.series('slim_sequencer_head').some(s => s.labels.name === NEWS && s.value === 3))
    }, 'both relays to know head 3 of the news')
    const [m0, m1] = await Promise.all([scrape(r0.metricsUrl as string), scrape(r1.metricsUrl as string)])
    const roles = [m0, m1].map(m => m.series('slim_sequencer_head').find(s => s.labels.name === NEWS)?.labels.role).sort()
    expect(roles).toEqual(['follower', 'sequencer'])
    expect(m0.value('slim_follower_lag', { name: NEWS })).toBe(0)
    expect(m1.value('slim_follower_lag', { name: NEWS })).toBe(0)
  })

  it('measures each link\'s round-trip time from its keepalive probes', async () => {
    await waitFor(async () => (await scrape(r0.metricsUrl as string)).value('slim_link_rtt_seconds', { peer: r1.peerId }) != null, 'a probe of the link to r1 to be answered')
    const rtt = (await scrape(r0.metricsUrl as string)).value('slim_link_rtt_seconds', { peer: r1.peerId }) as number
    expect(rtt).toBeGreaterThanOrEqual(0)
    expect(rtt).toBeLessThan(1) // loopback: well under a second
  })

  it('counts a refused subscribe under its rule, and a session refused at the handshake', async () => {
    const before = await scrape(r0.metricsUrl as string)
    expect(before.value('slim_policy_denials_total', { rule: 'allowSubscribe' })).toBeUndefined()
    expect(before.value('slim_auth_failures_total')).toBe(0)
    await expect(carol.subscribe(SECRET)).rejects.toMatchObject({ name: 'PermissionDeniedError' })
    // Credentials of another mesh: the relay refuses the session at the handshake.
    const other = await createAuthority()
    const foreign: AgentCredentials = { kind: 'slim-mesh/issuer', authority: other.authority, issuer: await delegateIssuer(other, { prefix: '**' }) }
    const err = await agent(r0, 'acme/metrics/mallory', { credentials: foreign }).then(async a => { others.push(a); return undefined }, (e: unknown) => e)
    expect((err as Error | undefined)?.name).toBe('AuthenticationError')
    const after = await scrape(r0.metricsUrl as string)
    expect(after.value('slim_policy_denials_total', { rule: 'allowSubscribe' })).toBe(1)
    expect(after.value('slim_auth_failures_total')).toBe(1)
    expect(r0.summary().denials).toMatchObject({ allowSubscribe: 1 })
    expect(r0.summary().authFailures).toBe(1)
  })

  it('summary(): counters since start, the busiest publishers, sequencers, links and the event-loop delay', () => {
    const s = r0.summary()
    expect(s.startedAt).toBeLessThanOrEqual(s.at)
    expect(s.at).toBeLessThanOrEqual(Date.now())
    expect(s.sessions).toBe(2)
    expect(s.messagesIn).toEqual({ anycast: 2, multicast: 3, unicast: 0 })
    expect(s.messagesOut.multicast).toBe(3) // to carol
    expect(s.acks).toBe(5)
    expect(s.deliveries).toBe(3)
    expect(s.publishesByAgent).toEqual({ [alice.name]: 5 })
    expect(s.sequencers).toContainEqual(expect.objectContaining({ name: NEWS, head: 3, lag: 0 }))
    expect(s.links).toHaveLength(1)
    expect(s.links[0]).toMatchObject({ peer: r1.peerId, up: true, flaps: 0 })
    expect(s.links[0]?.rttMs).toBeTypeOf('number')
    // At least one probe was answered (the RTT came from one), so loss is below 1; the link's queue is measured.
    expect(s.links[0]?.loss).toBeGreaterThanOrEqual(0)
    expect(s.links[0]?.loss).toBeLessThan(1)
    expect(s.links[0]?.queuedBytes).toBeGreaterThanOrEqual(0)
    expect(s.queuedBytes).toBeGreaterThanOrEqual(0)
    expect(s.slowConsumersCut).toBe(0)
    expect(s.eventLoopDelayMs).toBeGreaterThanOrEqual(0)
    expect(s.eventLoopDelayMs).toBeLessThan(10_000)
  })

  it('/healthz answers while the relay serves, an unknown path is 404, and /readyz turns 503 once the relay loses its only link', async () => {
    const base = (r0.metricsUrl as string).replace(/\/metrics$/, '')
    const health = await fetch(`${base}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok' })
    expect((await fetch(`${base}/nope`)).status).toBe(404)
    const ready = await fetch(`${base}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ ready: true, reasons: [] })

    await r1.stop()
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 503, 'r0 to be unready without its link', 15_000)
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ ready: false, reasons: ['no link up: 0 of 1 relay linked'] })
    const s = r0.summary()
    expect(s.links[0]).toMatchObject({ peer: r1.peerId, up: false, flaps: 1 })
    const m0 = await scrape(r0.metricsUrl as string)
    expect(m0.value('slim_links_up')).toBe(0)
    expect(m0.value('slim_link_flaps_total', { peer: r1.peerId })).toBe(1)
    // Still healthy: the process serves, only the mesh is gone.
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
  }, 30_000)
})

describe('slow consumers', () => {
  it('a session cut because its agent stopped reading is counted once, in the summary and in /metrics', async () => {
    const r = await relay({ config: { writeDeadlineMs: 300 }, metrics: { listen: '127.0.0.1:0' } })
    others.push(r)
    const s = await rawSession(r.multiaddrs[0] as string)
    others.push(s)
    const name = await s.handshake('acme/metrics/sloth')
    s.send({ subscribe: { requestId: 1, name: 'acme/metrics/sloth', fromSeq: undefined } })
    await s.next()
    expect(r.summary().slowConsumersCut).toBe(0)
    s.stream.pause() // stops reading: the relay's writes to it back up
    const pub = await agent(r, 'acme/metrics/firehose')
    others.push(pub)
    const chunk = new Uint8Array(256 * 1024)
    for (let i = 0; i < 120 && r.summary().slowConsumersCut === 0; i++) await pub.publish(name, chunk).catch(() => {})
    await waitFor(() => r.summary().slowConsumersCut > 0, 'the slow consumer to be cut')
    expect(r.summary().slowConsumersCut).toBe(1)
    expect((await scrape(r.metricsUrl as string)).value('slim_slow_consumers_cut_total')).toBe(1)
  }, 30_000)
})
