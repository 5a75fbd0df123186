/**
 * Many real agent sessions over few connections: each is a session stream of its own
 * (its own key, credential, handshake and subscriptions, as `Agent` runs them), but many
 * share one libp2p node, so a test can attach thousands of agents to a relay in seconds.
 * The relay must allow that many sessions per connection (`maxSessionsPerConnection`).
 */
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import type { Libp2p, Stream } from '@libp2p/interface'
import { testMesh } from '../helpers.js'
import { issueAgentCredential } from '../../src/trust/tokens.js'
import { allGrants } from '../../src/trust/grants.js'
import { createAgentLibp2p } from '../../src/p2p/libp2p-node.js'
import { SESSION_PROTOCOL } from '../../src/wire/constants.js'
import { SessionFrame } from '../../src/wire/envelope.pb.js'
import type { Envelope } from '../../src/wire/envelope.pb.js'
import { sessionProofPayload } from '../../src/actors/session-proof.js'
import { agentNameForKey } from '../../src/names/identity.js'

export interface LightSession {
  name: string
  stream: Stream
  /** Envelopes the relay delivered to this agent. */
  delivered: Envelope[]
}

/** Tries `f` up to three times (a dial to a relay under load may time out). */
async function retry<T> (f: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f()
    } catch (err) {
      if (attempt >= 3) throw err
      await new Promise(resolve => setTimeout(resolve, 200 * attempt))
    }
  }
}

/** Sessions per connection: yamux allows 1,000 streams a connection, keep some room. */
const PER_NODE = 900

/**
 * Attaches `count` agents of `service` to the relay at `relayAddr`, each subscribed to
 * every name of `subscribe` (its own service when left out), `concurrency` handshakes at
 * a time. Returns the sessions and a `stop` for the nodes they share.
 */
export async function attachMany (relayAddr: string, service: string, count: number, opts: { subscribe?: string[], concurrency?: number } = {}): Promise<{ sessions: LightSession[], stop: () => Promise<void> }> {
  const { credentials } = await testMesh()
  if (credentials.kind !== 'slim-mesh/issuer') throw new Error('the test mesh has no issuer')
  const addr = multiaddr(relayAddr)
  const relayId = addr.getComponents().find(c => c.name === 'p2p')?.value ?? ''
  const nodes: Libp2p[] = []
  // Each node connects before any session opens: a connection made while the relay is
  // busy with thousands of handshakes may miss the upgrade deadline.
  for (let i = 0; i < Math.ceil(count / PER_NODE); i++) {
    const node = await createAgentLibp2p(await generateKeyPair('Ed25519'))
    nodes.push(node)
    await retry(async () => { await node.dial(addr, { signal: AbortSignal.timeout(30_000) }) })
  }
  const sessions: LightSession[] = []

  const one = async (i: number): Promise<LightSession> => {
    const key = await generateKeyPair('Ed25519')
    const node = nodes[Math.floor(i / PER_NODE)] as Libp2p
    const stream = await retry(async () => await node.dialProtocol(addr, SESSION_PROTOCOL, { maxOutboundStreams: PER_NODE + 1, signal: AbortSignal.timeout(60_000) }))
    const decoder = new LengthPrefixedDecoder({ maxDataLength: 8 * 1024 * 1024 })
    const frames: SessionFrame[] = []
    let wake: (() => void) | undefined
    const s: LightSession = { name: agentNameForKey(service, key.publicKey), stream, delivered: [] }
    stream.addEventListener('message', (evt) => {
      for (const bytes of decoder.decode(evt.data)) {
        const f = SessionFrame.decode(bytes)
        if (f.messages.length > 0) s.delivered.push(...f.messages)
        else frames.push(f)
      }
      wake?.()
    })
    stream.addEventListener('close', () => { wake?.() })
    const send = (frame: Partial<SessionFrame>): void => {
      const bytes = SessionFrame.encode(frame)
      stream.send(new Uint8ArrayList(varint.encode(bytes.byteLength), bytes))
    }
    const next = async (): Promise<SessionFrame> => {
      const deadline = Date.now() + 60_000
      while (frames.length === 0) {
        if (stream.status !== 'open' || Date.now() > deadline) throw new Error(`session ${s.name}: no frame from the relay`)
        await new Promise<void>(resolve => { wake = resolve; setTimeout(resolve, 200) })
      }
      return frames.shift() as SessionFrame
    }
    const credential = await issueAgentCredential(credentials.issuer, { name: service, publicKey: key.publicKey.raw, grants: allGrants() })
    send({ hello: { name: s.name, publicKey: new Uint8Array(publicKeyToProtobuf(key.publicKey)), version: 1, resumeToken: new Uint8Array(0), credential } })
    const ch = await next()
    if (ch.challenge == null) throw new Error(`session ${s.name}: no challenge (${JSON.stringify(ch.fault)})`)
    send({ auth: { signature: new Uint8Array(await key.sign(sessionProofPayload(ch.challenge.nonce, relayId, s.name))) } })
    const ready = await next()
    if (ready.ready == null) throw new Error(`session ${s.name}: no ready (${JSON.stringify(ready.fault)})`)
    const names = opts.subscribe ?? [service]
    names.forEach((name, requestId) => { send({ subscribe: { requestId: requestId + 1, name } }) })
    for (let k = 0; k < names.length;) {
      const f = await next()
      if (f.subscribed == null) continue
      if (f.subscribed.code !== 0) throw new Error(`session ${s.name}: subscribing to ${f.subscribed.name} failed: ${f.subscribed.reason}`)
      k++
    }
    return s
  }

  let nextIndex = 0
  const worker = async (): Promise<void> => {
    while (nextIndex < count) {
      const i = nextIndex++
      // A relay busy with thousands of handshakes may time one out: that agent tries again.
      sessions.push(await retry(async () => await one(i)))
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency ?? 32 }, worker))
  return { sessions, stop: async () => { await Promise.all(nodes.map(async n => { await n.stop() })) } }
}
