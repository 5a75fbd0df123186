/**
 * Pieces flooded through a line of `RelayCore`s in memory, on simulated time: every frame
 * a relay writes stays under the wire's caps, each piece crosses each link once per
 * version, and the relay two links away learns every instance of a service too large for
 * one announcement, also when it links up later (it is sent every piece).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { FakeMesh } from './fake-mesh.js'
import { decodeLinkFrame, encodeLinkFrame } from '../../src/wire/codec.js'
import type { LinkFrame } from '../../src/wire/envelope.pb.js'

const SERVICE = 'acme/pieces/svc'
const INSTANCES = 5000

let mesh: FakeMesh | undefined
afterEach(async () => { await mesh?.stop(); mesh = undefined })

describe('route pieces across relays', () => {
  it('floods every piece once per version and link, and a relay two links away (and one linked later) learns all 5,000 instances', async () => {
    const sent = new Map<string, number>()
    const frames: LinkFrame[] = []
    const m = new FakeMesh(['relay-a', 'relay-b', 'relay-c', 'relay-d'], {
      tap: (from, to, frame) => {
        frames.push(frame)
        for (const ann of frame.announcements) {
          if (ann.origin !== 'relay-a') continue
          const key = `${from}>${to} v${ann.version} ${ann.piece}/${ann.pieces}`
          sent.set(key, (sent.get(key) ?? 0) + 1)
        }
      }
    })
    mesh = m
    await m.start()
    m.link('relay-a', 'relay-b')
    m.link('relay-b', 'relay-c')
    const a = m.relay('relay-a').core
    for (let i = 0; i < INSTANCES; i++) {
      const agent = m.agent('relay-a', `${SERVICE}/i${String(i).padStart(5, '0')}`)
      void a.subscribe(agent.name as never, SERVICE)
    }
    const learnt = (id: string): number => m.relay(id).core.table.routesOf('relay-a')?.get(SERVICE)?.instances.length ?? 0
    for (let t = 0; t < 5000 && learnt('relay-c') < INSTANCES; t += 10) await m.run(10)
    expect(learnt('relay-b')).toBe(INSTANCES)
    expect(learnt('relay-c')).toBe(INSTANCES)
    expect(m.relay('relay-c').core.table.routesOf('relay-a')?.get(SERVICE)?.reachable).toHaveLength(INSTANCES)

    // A relay linked later is sent every piece of what b knows.
    m.link('relay-c', 'relay-d')
    for (let t = 0; t < 1000 && learnt('relay-d') < INSTANCES; t += 10) await m.run(10)
    expect(learnt('relay-d')).toBe(INSTANCES)

    expect([...sent.keys()].some(k => !k.endsWith('0/0'))).toBe(true) // it did go in pieces
    expect([...sent.entries()].filter(([, n]) => n > 1)).toEqual([])
    // Every frame written would pass the neighbour's decoder (the caps of names, instances and bytes).
    for (const f of frames) expect(() => decodeLinkFrame(encodeLinkFrame(f))).not.toThrow()
  })
})
