/**
 * What `connectAgent` says when its first connection cannot work: one typed error that
 * names the problem, and at once (not after the 10 s handshake timeout). Every server
 * here (a relay, plain TCP, libp2p nodes that misbehave) listens on 127.0.0.1.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { createLibp2p } from 'libp2p'
import type { Libp2p, Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { connectAgent } from '../../src/agent/agent.js'
import { SESSION_PROTOCOL } from '../../src/wire/constants.js'
import { FrameStream } from '../../src/p2p/frame-stream.js'
import { decodeSessionFrame, encodeSessionFrame } from '../../src/wire/codec.js'
import type { SessionFrame } from '../../src/wire/envelope.pb.js'
import { relay, str, testMesh, text } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import { freePort, hostPort } from './spawn.js'

/** A libp2p node on 127.0.0.1 that does what `setup` says with session streams. */
async function fakeRelay (setup: (node: Libp2p) => Promise<void>, extra: Record<string, unknown> = {}): Promise<Libp2p> {
  const node = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], ...extra })
  await setup(node)
  return node
}
const addrOf = (node: Libp2p): string => node.getMultiaddrs()[0]?.toString() ?? ''

/** Times a connectAgent that must fail; resolves with its error and how long it took. */
async function failing (relayAddr: string): Promise<{ err: Error, ms: number }> {
  const t0 = Date.now()
  const err = await connectAgent({ relay: relayAddr, name: 'acme/probe/agent' }).then(async (a) => { await a.close(); return new Error('connected') }, (e: Error) => e)
  return { err, ms: Date.now() - t0 }
}

const nodes: Libp2p[] = []
let r: Relay
beforeAll(async () => { r = await relay() })
afterAll(async () => {
  for (const n of nodes) await Promise.resolve(n.stop()).catch(() => {})
  await r.stop()
})

describe('connectAgent: the relay address', () => {
  it('takes host:port; the relay proves its peer id over Noise and the session works', async () => {
    const a = await connectAgent({ relay: hostPort(r.multiaddrs[0] as string), name: 'acme/addr/hostport', credentials: (await testMesh()).credentials })
    try {
      expect(a.state).toBe('active')
      expect(a.libp2p.getConnections().map(c => c.remotePeer.toString())).toEqual([r.peerId])
      const sub = await a.subscribe('acme/addr/hostport')
      const r1 = await a.publish('acme/addr/hostport', text('over host:port'), { mode: 'multicast' })
      expect(r1.seq).toBe(1)
      const it = sub[Symbol.asyncIterator]()
      expect(str((await it.next()).value.data as Uint8Array)).toBe('over host:port')
    } finally {
      await a.close()
    }
  })

  it('a bad address is an InvalidAddressError that shows both forms', async () => {
    await expect(connectAgent({ relay: '127.0.0.1', name: 'acme/addr/bad' })).rejects.toMatchObject({
      name: 'InvalidAddressError',
      message: 'relay address "127.0.0.1" is neither host:port nor a multiaddr; write 127.0.0.1:7450 or /ip4/127.0.0.1/tcp/7450'
    })
  })

  it('without a /p2p/ part, a Challenge that names another relay than the one Noise proved is an AuthenticationError', async () => {
    const someoneElse = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const liar = await fakeRelay(async (node) => {
      await node.handle(SESSION_PROTOCOL, (stream: Stream) => {
        const frames: FrameStream<SessionFrame, never> = new FrameStream<SessionFrame, never>({
          stream,
          decode: decodeSessionFrame,
          encodeBatch: () => new Uint8Array(0),
          sizeOf: () => 0,
          onFrame: (f) => { if (f.hello != null) frames.sendFrame(encodeSessionFrame({ challenge: { nonce: new Uint8Array(randomBytes(32)), relay: someoneElse } })) },
          onInvalid: () => {},
          onClose: () => {}
        })
      })
    })
    nodes.push(liar)
    const { err, ms } = await failing(hostPort(addrOf(liar)))
    expect(err).toMatchObject({ name: 'AuthenticationError', message: expect.stringContaining(`the relay says it is ${someoneElse}, but the connection is secured by ${liar.peerId.toString()}`) })
    expect(ms).toBeLessThan(2000)
  })
})

describe('connectAgent: a first connection that cannot work fails at once with a clear typed error', () => {
  it('nothing listening: UnavailableError "no relay listening at 127.0.0.1:PORT (connection refused); is the relay running?" in under 2 s', async () => {
    const where = `127.0.0.1:${await freePort()}`
    const { err, ms } = await failing(where)
    expect(err).toMatchObject({ name: 'UnavailableError', message: `no relay listening at ${where} (connection refused); is the relay running?` })
    expect(ms).toBeLessThan(2000)
  })

  it('the peer id in the address is not the relay\'s: AuthenticationError (the one case that is a proof failure)', async () => {
    const impostor = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const { err } = await failing(`${(r.multiaddrs[0] as string).replace(/p2p\/.*$/, `p2p/${impostor}`)}`)
    expect(err).toMatchObject({ name: 'AuthenticationError', message: expect.stringMatching(/^the relay at 127\.0\.0\.1:\d+ could not prove the peer id in its address: /) })
  })

  it('a server that takes the connection and closes it (as a relay turning connections away does): UnavailableError, not AuthenticationError', async () => {
    const closer = createServer(s => { s.on('error', () => {}); s.destroy() })
    await new Promise<void>(resolve => closer.listen(0, '127.0.0.1', resolve))
    try {
      const where = `127.0.0.1:${(closer.address() as { port: number }).port}`
      const { err, ms } = await failing(where)
      expect(err).toMatchObject({ name: 'UnavailableError', message: expect.stringContaining(`${where} is not a slim-mesh relay, or it refused the connection`) })
      expect(ms).toBeLessThan(2000)
    } finally {
      closer.close()
    }
  })

  it('a libp2p node that closes the secured connection at once (a relay that does not accept this agent): UnavailableError "refused the connection"', async () => {
    const gated = await fakeRelay(async () => {}, { connectionGater: { denyInboundEncryptedConnection: () => true } })
    nodes.push(gated)
    const { err, ms } = await failing(addrOf(gated))
    expect(err).toMatchObject({ name: 'UnavailableError', message: expect.stringMatching(/^the relay at 127\.0\.0\.1:\d+ refused the connection/) })
    expect(ms).toBeLessThan(2000)
  })

  it('a relay over its limit of session streams (it resets the stream): UnavailableError in under 2 s, not a 10 s timeout', async () => {
    const full = await fakeRelay(async (node) => { await node.handle(SESSION_PROTOCOL, () => {}, { maxInboundStreams: 0 }) })
    const resets = await fakeRelay(async (node) => { await node.handle(SESSION_PROTOCOL, (stream: Stream) => { stream.abort(new Error('no')) }) })
    nodes.push(full, resets)
    for (const node of [full, resets]) {
      const { err, ms } = await failing(addrOf(node))
      expect(err).toMatchObject({ name: 'UnavailableError', message: expect.stringMatching(/^the relay at 127\.0\.0\.1:\d+ (refused the session stream|ended the session before the handshake finished)/) })
      expect(ms).toBeLessThan(2000)
    }
  })

  it('a relay that closes the session stream, or stops, during the handshake: UnavailableError in under 2 s', async () => {
    const closes = await fakeRelay(async (node) => { await node.handle(SESSION_PROTOCOL, async (stream: Stream) => { await stream.close() }) })
    const stops = await fakeRelay(async (node) => { await node.handle(SESSION_PROTOCOL, (stream: Stream) => { stream.addEventListener('message', () => { void node.stop() }) }) })
    nodes.push(closes, stops)
    for (const node of [closes, stops]) {
      const { err, ms } = await failing(addrOf(node))
      expect(err).toMatchObject({ name: 'UnavailableError', message: expect.stringMatching(/^the relay at 127\.0\.0\.1:\d+ (ended the session before the handshake finished|refused the session stream)/) })
      expect(ms).toBeLessThan(2000)
    }
  })
})
