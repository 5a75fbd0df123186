/**
 * The relay's policy seam (src/relay/policy.ts) on real relays: each hook refuses what it
 * is asked about, with a typed error that names the rule, and disturbs nothing else; no
 * hook keeps today's behaviour; a policy can change at run time.
 */
import { describe, it, expect } from 'vitest'
import { relay, line, agent, collect, stopAll, waitFor } from '../helpers.js'
import type { RelayPolicy } from '../../src/relay/policy.js'
import { relayInternals } from '../../src/node/relay-node.js'

const org = (name: string): string => name.split('/')[0] as string

describe('relay policy', () => {
  it('admitSession: a refused agent gets AuthenticationError naming the rule; others connect', async () => {
    const r = await relay({ policy: { admitSession: ({ agent: a }) => org(a) === 'acme' || { deny: 'only acme agents here' } } })
    try {
      await expect(agent(r, 'evil/x/y')).rejects.toMatchObject({ name: 'AuthenticationError', message: expect.stringMatching(/admitSession.*only acme agents here/) })
      const ok = await agent(r, 'acme/pol/ok')
      expect(await ok.publish('acme/pol/news', 'fine', { mode: 'multicast' })).toMatchObject({ seq: 1 })
      await ok.close()
    } finally {
      await stopAll(r)
    }
  })

  it('allowSubscribe: PermissionDeniedError with the rule and the name; the session goes on', async () => {
    const r = await relay({ policy: { allowSubscribe: ({ agent: a, name }) => org(name) === org(a) || { deny: 'not your organisation' } } })
    const a = await agent(r, 'acme/pol/reader')
    try {
      const err = await a.subscribe('other/pol/secret').catch((e: unknown) => e)
      expect(err).toMatchObject({ name: 'PermissionDeniedError', rule: 'allowSubscribe', message: expect.stringMatching(/other\/pol\/secret.*not your organisation/) })
      const own = collect(await a.subscribe('acme/pol/news'))
      await a.publish('acme/pol/news', 'still here', { mode: 'multicast' })
      await waitFor(() => own.length === 1, 'the allowed subscription to work')
      expect(relayInternals(r).gate.denials.get('allowSubscribe')).toBe(1)
    } finally {
      await stopAll(a, r)
    }
  })

  it('allowServe: an agent that may not serve a name gets none of its requests; the real instance gets all 20', async () => {
    const r = await relay({ policy: { allowServe: ({ agent: a }) => !a.startsWith('mallory/') || { deny: 'mallory serves nothing' } } })
    const real = await agent(r, 'acme/svc/worker')
    const mallory = await agent(r, 'mallory/svc/worker')
    const client = await agent(r, 'acme/svc/client')
    try {
      const served: string[] = []
      const stolen: string[] = []
      void (async () => { for await (const m of await real.subscribe('acme/svc/sum')) { served.push(m.source); await m.respond?.('real') } })()
      const malSub = await mallory.subscribe('acme/svc/sum') // subscribing is allowed: it receives multicast
      void (async () => { for await (const m of malSub) { stolen.push(m.mode); await m.respond?.('fake') } })()
      await waitFor(() => relayInternals(r).table.localInstances('acme/svc/sum').length === 1, 'one instance')
      for (let i = 0; i < 20; i++) expect(new TextDecoder().decode((await client.request('acme/svc/sum', `q${i}`)).data)).toBe('real')
      expect(served).toHaveLength(20)
      await client.publish('acme/svc/sum', 'to all', { mode: 'multicast' })
      await waitFor(() => stolen.includes('multicast'), 'multicast at the non-serving subscriber')
      expect(stolen.filter(m => m !== 'multicast')).toEqual([])
    } finally {
      await stopAll(real, mallory, client, r)
    }
  })

  it('allowPublish per mode: refused with PermissionDeniedError; a reply to a request is always allowed', async () => {
    const policy: RelayPolicy = { allowPublish: ({ agent: a, mode }) => !(a.startsWith('acme/pol/quiet/') && mode !== 'anycast') || { deny: 'quiet agents only ask' } }
    const r = await relay({ policy })
    const quiet = await agent(r, 'acme/pol/quiet')
    const asker = await agent(r, 'acme/pol/asker')
    try {
      await expect(quiet.publish('acme/pol/news', 'x', { mode: 'multicast' })).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'allowPublish' })
      await expect(quiet.publish(asker.name, 'x')).rejects.toMatchObject({ name: 'PermissionDeniedError', message: expect.stringMatching(/quiet agents only ask/) })
      // Its replies are unicast too, and still go out.
      void (async () => { for await (const m of await quiet.subscribe('acme/pol/quiet')) await m.respond?.('answer') })()
      await waitFor(() => relayInternals(r).table.localInstances('acme/pol/quiet').length === 1, 'the quiet service')
      expect(new TextDecoder().decode((await asker.request('acme/pol/quiet', 'q')).data)).toBe('answer')
      expect(quiet.state).toBe('active')
    } finally {
      await stopAll(quiet, asker, r)
    }
  })

  it('a hook that throws refuses (closed when the policy is broken)', async () => {
    const r = await relay({ policy: { allowSubscribe: () => { throw new Error('policy store down') } } })
    const a = await agent(r, 'acme/pol/x')
    try {
      await expect(a.subscribe('acme/pol/news')).rejects.toMatchObject({ name: 'PermissionDeniedError', message: expect.stringMatching(/policy store down/) })
    } finally {
      await stopAll(a, r)
    }
  })

  it('admitLink: a relay the policy refuses never links: no neighbour, no routes', async () => {
    const a = await relay({ policy: { admitLink: () => ({ deny: 'closed mesh' }) } })
    const b = await relay()
    try {
      b.dial(a.multiaddrs[0] as string)
      a.dial(b.multiaddrs[0] as string)
      await waitFor(() => (relayInternals(a).gate.denials.get('admitLink') ?? 0) >= 2, 'both directions refused at a')
      expect(a.neighbours()).toEqual([])
      expect(a.peers()).toEqual([])
      expect(relayInternals(a).table.distance(b.peerId)).toBe(Infinity)
    } finally {
      await stopAll(a, b)
    }
  })

  it('configure(): a new policy applies from the next check, new config values from their next use', async () => {
    const r = await relay()
    const a = await agent(r, 'acme/pol/x')
    try {
      await a.subscribe('acme/pol/one')
      r.configure({ policy: { allowSubscribe: () => ({ deny: 'frozen' }) }, config: { writeDeadlineMs: 1234 } })
      await expect(a.subscribe('acme/pol/two')).rejects.toMatchObject({ name: 'PermissionDeniedError', message: expect.stringMatching(/frozen/) })
      expect(relayInternals(r).config.writeDeadlineMs).toBe(1234)
      r.configure({ policy: {} })
      await a.subscribe('acme/pol/three')
    } finally {
      await stopAll(a, r)
    }
  })

  it('exportRoute: a relay announces to its neighbour only the routes its policy exports', async () => {
    const [r0, r1] = await line(2, { policy: { exportRoute: ({ route }) => route.name.startsWith('acme/public/') } })
    const a = await agent(r0!, 'acme/pol/pub')
    try {
      await a.subscribe('acme/public/feed')
      await a.subscribe('acme/private/feed')
      await waitFor(() => relayInternals(r1!).table.relays().some(rr => rr.names.has('acme/public/feed')), 'the public route at r1')
      expect(relayInternals(r1!).table.relays().some(rr => rr.names.has('acme/private/feed'))).toBe(false)
    } finally {
      await stopAll(a, r0, r1)
    }
  })

  it('a peering link carries no route unless the policy exports it; dropLink closes a link and forgets it', async () => {
    const a = await relay()
    const b = await relay()
    const onB = await agent(b, 'acme/peer/svc')
    try {
      await onB.subscribe('acme/peer/svc')
      a.dial(b.multiaddrs[0] as string, { kind: 'peering' })
      await waitFor(() => relayInternals(a).linkKind(b.peerId) === 'peering', 'the peering link at a')
      await waitFor(() => relayInternals(b).linkKind(a.peerId) != null, 'the link at b')
      // b sees a mesh link (it was not told otherwise) and exports; a, on a peering link, imports nothing.
      await waitFor(() => relayInternals(a).table.distance(b.peerId) < Infinity, 'b known at a as a relay')
      expect(relayInternals(a).table.relays().every(rr => rr.names.size === 0)).toBe(true)
      expect(a.peers()).toMatchObject([{ peerId: b.peerId, kind: 'peering', linked: true }])
      await a.dropLink(b.peerId)
      expect(a.peers()).toEqual([])
      await waitFor(() => !a.neighbours().includes(b.peerId), 'the link gone at a')
    } finally {
      await stopAll(onB, a, b)
    }
  })
})
