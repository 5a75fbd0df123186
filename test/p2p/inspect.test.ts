import { describe, it, expect } from 'vitest'
import { relay, agent, stopAll, testMesh, waitFor } from '../helpers.js'
import { inspectRelay } from '../../src/p2p/inspect-client.js'
import type { TransitionEvent } from '../../src/p2p/inspection-service.js'

describe('live inspection', () => {
  it('shows a relay\'s session actor moving as an agent connects and leaves', async () => {
    const r = await relay({ inspect: true })
    const seen: TransitionEvent[] = []
    const ac = new AbortController()
    const reading = (async () => { for await (const e of inspectRelay(r.multiaddrs[0] as string, { signal: ac.signal, credentials: (await testMesh()).adminFile })) seen.push(e) })()
    try {
      await waitFor(() => seen.some(e => e.actor === 'relay' && e.to === 'running'), 'the inspector to attach')
      const a = await agent(r, 'acme/inspect/visitor')
      const mine = (): TransitionEvent[] => seen.filter(e => e.actor === `session:${a.name}`)
      await waitFor(() => mine().some(e => e.to === 'active.live'), 'the session to become active')
      await a.close()
      await waitFor(() => mine().some(e => e.to === 'closed'), 'the session to close')
      expect(mine().map(e => `${e.from}->${e.to}`)).toEqual(['handshaking->authenticating', 'authenticating->active.live', 'active.live->closed'])
      expect(mine().find(e => e.to === 'closed')?.event).toBe('close.received')
    } finally {
      ac.abort()
      await reading.catch(() => {})
      await stopAll(r)
    }
  })

  it('sends a new inspector the current state of every actor first', async () => {
    const r = await relay({ inspect: true })
    const a = await agent(r, 'acme/inspect/early')
    const ac = new AbortController()
    try {
      for await (const e of inspectRelay(r.multiaddrs[0] as string, { signal: ac.signal, credentials: (await testMesh()).adminFile })) {
        if (e.actor === `session:${a.name}`) {
          expect(e).toMatchObject({ from: '', to: 'active.live', event: 'snapshot' })
          break
        }
      }
    } finally {
      ac.abort()
      await stopAll(a, r)
    }
  })

  it('lists no ghost of a session that ended: neither under its agent name nor its handshake label', async () => {
    const r = await relay({ inspect: true })
    const a = await agent(r, 'acme/inspect/ghost')
    await a.close()
    await waitFor(() => r.agents().length === 0, 'the agent to leave')
    const seen: TransitionEvent[] = []
    const ac = new AbortController()
    const reading = (async () => { for await (const e of inspectRelay(r.multiaddrs[0] as string, { signal: ac.signal, credentials: (await testMesh()).adminFile })) seen.push(e) })()
    let b
    try {
      await waitFor(() => seen.some(e => e.actor === 'relay'), 'the inspector to attach')
      // A live event after the snapshot marks its end.
      b = await agent(r, 'acme/inspect/marker')
      const marker = `session:${b.name}`
      await waitFor(() => seen.some(e => e.actor === marker && e.event !== 'snapshot'), 'the marker session to show')
    } finally {
      ac.abort()
      await reading.catch(() => {})
      await stopAll(b, r)
    }
    const snapshot = seen.filter(e => e.event === 'snapshot')
    expect(snapshot[0]).toMatchObject({ actor: 'relay', to: 'running' })
    expect(snapshot.filter(e => e.actor.startsWith('session:'))).toEqual([])
  })

  it('a relay without inspection refuses an inspector with a clear error', async () => {
    const r = await relay()
    try {
      const it = inspectRelay(r.multiaddrs[0] as string, { credentials: (await testMesh()).adminFile })
      await expect(it.next()).rejects.toMatchObject({ name: 'UnavailableError', message: expect.stringMatching(/start it with --inspect/) })
    } finally {
      await stopAll(r)
    }
  })

  it('an agent hands its own actor transitions to the caller', async () => {
    const r = await relay()
    const events: TransitionEvent[] = []
    const a = await agent(r, 'acme/inspect/self', { inspect: e => events.push(e) })
    await a.close()
    await stopAll(r)
    expect(events.map(e => e.to)).toEqual(['connecting', 'handshaking', 'active.live', 'closing', 'closed'])
  })
})
