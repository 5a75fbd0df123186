import { describe, it, expect, afterEach } from 'vitest'
import { line, agent, collect, routed, waitFor, stopAll, text, str } from '../helpers.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

describe('smoke', () => {
  it('anycast, unicast and multicast across two relays', async () => {
    const relays = await line(2)
    cleanup.push(...relays)
    const a = await agent(relays[0]!, 'acme/research/alice')
    const b = await agent(relays[1]!, 'acme/research/bob')
    cleanup.push(a, b)
    const sub = await b.subscribe('acme/research/summarizer')
    const got = collect(sub)
    await routed(relays, 'acme/research/summarizer')
    await a.publish('acme/research/summarizer', text('hi'))
    await waitFor(() => got.length === 1, 'anycast delivery')
    expect(str(got[0]!.data)).toBe('hi')
    expect(got[0]!.source).toBe(a.name)
    const r = await a.publish('acme/research/summarizer', text('m1'), { mode: 'multicast' })
    expect(r.seq).toBe(1)
    await waitFor(() => got.length === 2, 'multicast delivery')
    expect(got[1]!.seq).toBe(1)
  })
})
