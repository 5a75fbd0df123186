/** A hand-driven session stream, to send a relay exactly the bytes a test wants. */
import { testMesh } from '../helpers.js'
import { issueAgentCredential } from '../../src/trust/tokens.js'
import { allGrants } from '../../src/trust/grants.js'
import { serviceOf } from '../../src/names/names.js'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import type { Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import { createAgentLibp2p } from '../../src/p2p/libp2p-node.js'
import { SESSION_PROTOCOL } from '../../src/wire/constants.js'
import { SessionFrame } from '../../src/wire/envelope.pb.js'
import { sessionProofPayload } from '../../src/actors/session-proof.js'
import { agentNameForKey } from '../../src/names/identity.js'

export interface RawSession {
  node: Libp2p
  stream: Stream
  key: PrivateKey
  /** Writes raw bytes (no length prefix added). */
  sendRaw: (bytes: Uint8Array) => void
  /** Writes one length-prefixed frame of these bytes. */
  sendBytes: (bytes: Uint8Array) => void
  send: (frame: Partial<SessionFrame>) => void
  /** The next frame from the relay. */
  next: (timeoutMs?: number) => Promise<SessionFrame>
  /** Resolves when the relay has closed the stream. */
  closed: Promise<void>
  /** Completes the handshake as `name` (a service name; the instance comes from the key). */
  handshake: (name: string) => Promise<string>
  stop: () => Promise<void>
}

export async function rawSession (relayAddr: string, key?: PrivateKey): Promise<RawSession> {
  const k = key ?? await generateKeyPair('Ed25519')
  const node = await createAgentLibp2p(k)
  const stream = await node.dialProtocol(multiaddr(relayAddr), SESSION_PROTOCOL)
  const decoder = new LengthPrefixedDecoder({ maxDataLength: 8 * 1024 * 1024 })
  const frames: SessionFrame[] = []
  const waiters: Array<() => void> = []
  stream.addEventListener('message', (evt) => {
    for (const bytes of decoder.decode(evt.data)) frames.push(SessionFrame.decode(bytes))
    for (const w of waiters.splice(0)) w()
  })
  const closed = new Promise<void>(resolve => { stream.addEventListener('close', () => { resolve(); for (const w of waiters.splice(0)) w() }) })
  const relayId = multiaddr(relayAddr).getComponents().find(c => c.name === 'p2p')?.value ?? ''
  const s: RawSession = {
    node,
    stream,
    key: k,
    sendRaw: (bytes) => { stream.send(bytes) },
    sendBytes: (bytes) => { stream.send(new Uint8ArrayList(varint.encode(bytes.byteLength), bytes)) },
    send: (frame) => { s.sendBytes(SessionFrame.encode(frame)) },
    next: async (timeoutMs = 5000) => {
      const start = Date.now()
      while (frames.length === 0) {
        if (Date.now() - start > timeoutMs) throw new Error('no frame from the relay')
        if (stream.status !== 'open' && frames.length === 0) throw new Error('stream closed without a frame')
        await new Promise<void>(resolve => { waiters.push(resolve); setTimeout(resolve, 50) })
      }
      return frames.shift() as SessionFrame
    },
    closed,
    handshake: async (name) => {
      const full = agentNameForKey(name, k.publicKey)
      const { credentials } = await testMesh()
      const credential = credentials.kind === 'slim-mesh/issuer' ? await issueAgentCredential(credentials.issuer, { name: serviceOf(full), publicKey: k.publicKey.raw, grants: allGrants() }) : undefined
      s.send({ hello: { name: full, publicKey: new Uint8Array(publicKeyToProtobuf(k.publicKey)), version: 1, resumeToken: new Uint8Array(0), credential } })
      const ch = await s.next()
      if (ch.challenge == null) throw new Error('no challenge')
      const sig = await k.sign(sessionProofPayload(ch.challenge.nonce, relayId, full))
      s.send({ auth: { signature: new Uint8Array(sig) } })
      const ready = await s.next()
      if (ready.ready == null) throw new Error(`no ready: ${JSON.stringify(ready.fault)}`)
      return full
    },
    stop: async () => { await node.stop() }
  }
  return s
}
