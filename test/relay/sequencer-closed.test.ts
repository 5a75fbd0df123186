/**
 * A closed name follows its archive: a sequencer that numbered a GroupClose hands its
 * replica (through `Replicate`, as src/relay/replicator.ts sends it) nothing but the
 * archive, the epoch and the roles; a sequencer started on that replica's store (the
 * lease's next holder) refuses new traffic as closed all the same, and the owner's new
 * first commit reopens it there.
 */
import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { waitFor } from '../helpers.js'
import { MessageType, DeliveryMode } from '../../src/wire/envelope.pb.js'
import type { Envelope, Replicate } from '../../src/wire/envelope.pb.js'
import { ErrorCode } from '../../src/wire/errors.js'
import { newEnvelope } from '../../src/wire/new-envelope.js'
import { SequencerActor } from '../../src/relay/sequencer.actor.js'
import { ReplicaArchive } from '../../src/relay/replica-archive.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { systemClock } from '../../src/relay/clock.js'

const NAME = 'acme/closed/room'
const OWNER = 'acme/closed/owner/i1'
const ADMIN = 'acme/closed/admin/i2'
const roles = JSON.stringify({ owner: OWNER, admins: [ADMIN] })

function env (source: string, type: MessageType, epoch: number, meta: Record<string, string> = {}): Envelope {
  const e = newEnvelope({ messageId: randomBytes(16), destination: NAME, mode: DeliveryMode.MULTICAST, payload: new Uint8Array(0) })
  e.source = source
  e.type = type
  e.epoch = epoch
  for (const [k, v] of Object.entries(meta)) e.metadata.set(k, v)
  return e
}

describe('a closed name and its replicas', () => {
  it('a sequencer started on the replica\'s copy refuses as closed; the owner reopens it there', async () => {
    const primary = new MemoryStore()
    const frames: Replicate[] = []
    const acks: Array<{ seq: number, code: number }> = []
    const a = await SequencerActor.start(NAME, 1, {
      store: primary,
      clock: systemClock,
      onSequenced: () => {},
      onAck: (_, ack) => { acks.push(ack) },
      // What the sequencer hands its replicator, framed as the replicator frames it.
      replicate: { appended: (from, entries, epoch, r) => { frames.push({ name: NAME, term: 1, from, entries: entries as Replicate['entries'], commit: from + entries.length - 1, first: 0, epoch, ...(r != null ? { roles: r } : {}) }) } }
    })
    a.submit(env(OWNER, MessageType.GROUP_ADD, 0, { 'slim.roles': roles }), { relay: 'r', agent: OWNER })
    await waitFor(() => frames.length === 1, 'the first commit archived')
    a.submit(env(ADMIN, MessageType.GROUP_CLOSE, 1), { relay: 'r', agent: ADMIN })
    await waitFor(() => frames.length === 2, 'the GroupClose archived')
    expect(a.closed).toBe(true)
    expect((await primary.getMeta(NAME))?.closed).toBe(true)
    await a.fence()

    const replicaStore = new MemoryStore()
    const replica = new ReplicaArchive({ store: replicaStore, termOf: () => 0, onNewerTerm: () => {} })
    for (const f of frames) expect((await replica.replicate('relayA', f)).code).toBe(0)
    // The replica's meta says nothing of the close: the archive does.
    expect((await replicaStore.getMeta(NAME))?.closed).toBeUndefined()

    const refused: Array<{ seq: number, code: number, reason: string }> = []
    const b = await SequencerActor.start(NAME, 2, { store: replicaStore, clock: systemClock, onSequenced: () => {}, onAck: (_, ack) => { refused.push(ack) } })
    expect(b.closed).toBe(true)
    b.submit(env(ADMIN, MessageType.MSG, 1), { relay: 'r', agent: ADMIN })
    b.submit(env(ADMIN, MessageType.GROUP_ADD, 0, { 'slim.roles': JSON.stringify({ owner: ADMIN, admins: [] }) }), { relay: 'r', agent: ADMIN })
    await waitFor(() => refused.length === 2, 'both refused')
    expect(refused.map(r => r.code)).toEqual([ErrorCode.CHANNEL_CLOSED, ErrorCode.CHANNEL_CLOSED])
    expect(refused[0]?.reason).toContain('(channel.closed)')
    b.submit(env(OWNER, MessageType.GROUP_ADD, 0, { 'slim.roles': JSON.stringify({ owner: OWNER, admins: [] }) }), { relay: 'r', agent: OWNER })
    await waitFor(() => refused.length === 3, 'the reopening acknowledged')
    expect(refused[2]).toMatchObject({ seq: 3, code: 0 })
    expect(b.closed).toBe(false)
    expect(b.epoch).toBe(1)
    await b.stop()
  })
})
