import { describe, it, expect } from 'vitest'
import { line, relay, agent, collect, stopAll, waitFor, text, str } from '../helpers.js'
import { relayInternals } from '../../src/node/relay-node.js'

describe('unicast to an agent', () => {
  it('is refused with NoRouteError, not acknowledged, when the agent reads neither its inbox nor its service', async () => {
    const r = await relay()
    const alice = await agent(r, 'acme/uni/alice')
    const bob = await agent(r, 'acme/uni/bob')
    try {
      await expect(bob.publish(alice.name, text('hi'))).rejects.toMatchObject({ name: 'NoRouteError', message: expect.stringMatching(/takes no unicast/) })
      // Its own name too: an agent with no inbox does not acknowledge a message to itself.
      await expect(alice.publish(alice.name, text('to me'))).rejects.toMatchObject({ name: 'NoRouteError' })
      // A request fails at once instead of timing out.
      const started = Date.now()
      await expect(bob.request(alice.name, text('q'), { timeoutMs: 5000 })).rejects.toMatchObject({ name: 'NoRouteError' })
      expect(Date.now() - started).toBeLessThan(2000)
    } finally {
      await stopAll(alice, bob, r)
    }
  })

  it('reaches the inbox, on the same relay and across relays; a reply reaches a requester with no subscription', async () => {
    const [r0, r1] = await line(2)
    const alice = await agent(r0!, 'acme/uni/alice')
    const bob = await agent(r1!, 'acme/uni/bob')
    const carol = await agent(r0!, 'acme/uni/carol')
    try {
      const inbox = await alice.inbox()
      const got = collect(inbox)
      await waitFor(() => relayInternals(r1!).table.findInstance('acme/uni/alice', alice.name.split('/')[3]!) != null, 'alice to be routed at r1')
      await bob.publish(alice.name, text('from bob'))
      await carol.publish(alice.name, text('from carol'))
      await waitFor(() => got.length === 2, 'both to arrive')
      expect(got.map(m => str(m.data)).sort()).toEqual(['from bob', 'from carol'])
      expect(got[0]).toMatchObject({ mode: 'unicast', subject: alice.name, destination: alice.name })
      // A request to the inbox: bob has no subscription at all, yet gets the reply.
      void (async () => { for await (const m of await alice.subscribe('acme/uni/alice')) await m.respond?.(`re: ${str(m.data)}`) })()
      await waitFor(() => relayInternals(r1!).table.pickAnycast('acme/uni/alice') != null, 'alice to serve its service')
      const reply = await bob.request('acme/uni/alice', text('ping'))
      expect(str(reply.data)).toBe('re: ping')
    } finally {
      await stopAll(alice, bob, carol, r0, r1)
    }
  })

  it('an agent is an anycast instance only of what it subscribes to: attached under a service name is not serving it', async () => {
    const r = await relay()
    const idle = await agent(r, 'acme/uni/svc') // attached as acme/uni/svc, subscribed to nothing
    const client = await agent(r, 'acme/uni/client')
    try {
      await expect(client.publish('acme/uni/svc', text('x'))).rejects.toMatchObject({ name: 'NoRouteError' })
      const worker = await agent(r, 'acme/uni/worker')
      const sub = await worker.subscribe('acme/uni/svc')
      const got = collect(sub)
      for (let i = 0; i < 6; i++) await client.publish('acme/uni/svc', text(`m${i}`))
      await waitFor(() => got.length === 6, 'every message at the subscribed worker')
      await stopAll(worker)
    } finally {
      await stopAll(idle, client, r)
    }
  })

  it('closing the inbox stops unicast again', async () => {
    const r = await relay()
    const alice = await agent(r, 'acme/uni/alice')
    const bob = await agent(r, 'acme/uni/bob')
    try {
      const inbox = await alice.inbox()
      await bob.publish(alice.name, text('one'))
      await inbox.close()
      await waitFor(async () => {
        try { await bob.publish(alice.name, text('two')); return false } catch (err) { return (err as Error).name === 'NoRouteError' }
      }, 'unicast to be refused after the inbox closed')
    } finally {
      await stopAll(alice, bob, r)
    }
  })

  it('subscribing to another agent\'s name is refused with InvalidNameError', async () => {
    const r = await relay()
    const alice = await agent(r, 'acme/uni/alice')
    const bob = await agent(r, 'acme/uni/bob')
    try {
      await expect(bob.subscribe(alice.name)).rejects.toMatchObject({ name: 'InvalidNameError' })
    } finally {
      await stopAll(alice, bob, r)
    }
  })
})
