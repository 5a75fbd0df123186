/**
 * Bad input: each gets a clear typed error; a protocol breaker is told why and cut off;
 * every other session on the relay goes on undisturbed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { randomBytes } from 'node:crypto'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import * as varint from 'uint8-varint'
import { relay, agent, stopAll, text, str, waitFor } from '../helpers.js'
import { rawSession } from './raw-session.js'
import type { Relay } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import { ErrorCode } from '../../src/wire/errors.js'
import { Envelope, MessageType, DeliveryMode } from '../../src/wire/envelope.pb.js'
import { MAX_FRAME_BYTES, MAX_PAYLOAD_BYTES } from '../../src/wire/constants.js'
import { agentNameForKey } from '../../src/names/identity.js'
import { sessionProofPayload } from '../../src/actors/session-proof.js'

let r: Relay
let server: Agent
let client: Agent
const addr = (): string => r.multiaddrs[0] as string

/** The healthy pair still talks: a request and its reply through the same relay. */
async function othersUndisturbed (): Promise<void> {
  const reply = await client.request('acme/healthy/echo', text('still there?'))
  expect(str(reply.data)).toBe('still there?')
}

function envelope (over: Partial<Envelope> = {}): Envelope {
  return {
    type: MessageType.MSG, channelId: '', messageId: new Uint8Array(randomBytes(16)), payload: new Uint8Array(4), metadata: new Map(),
    source: '', destination: 'acme/healthy/echo', seq: 0, epoch: 0, hopLimit: 0, mode: DeliveryMode.ANYCAST, correlationId: new Uint8Array(0), expectsReply: false, noAck: false, ...over
  }
}

beforeAll(async () => {
  r = await relay()
  server = await agent(r, 'acme/healthy/echo')
  const sub = await server.subscribe('acme/healthy/echo')
  void (async () => { for await (const m of sub) await m.respond?.(m.data).catch(() => {}) })()
  client = await agent(r, 'acme/healthy/client')
  await othersUndisturbed()
})
afterAll(async () => { await stopAll(server, client, r) })

describe('bad input on a session', () => {
  it('an oversized frame: Fault FRAME_TOO_LARGE, then cut off', async () => {
    const s = await rawSession(addr())
    s.sendRaw(varint.encode(MAX_FRAME_BYTES + 1))
    s.sendRaw(new Uint8Array(1024))
    const f = await s.next()
    expect(f.fault).toMatchObject({ code: ErrorCode.FRAME_TOO_LARGE, fatal: true })
    expect(f.fault?.reason).toMatch(/over the limit/)
    await s.closed
    await s.stop()
    await othersUndisturbed()
  })

  it('a malformed frame: Fault MALFORMED, then cut off', async () => {
    const s = await rawSession(addr())
    s.sendBytes(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]))
    const f = await s.next()
    expect(f.fault).toMatchObject({ code: ErrorCode.MALFORMED, fatal: true })
    expect(f.fault?.reason).toMatch(/not valid protobuf/)
    await s.closed
    await s.stop()
    await othersUndisturbed()
  })

  it('an unknown message type from an authenticated agent: Fault UNKNOWN_TYPE, then cut off', async () => {
    const s = await rawSession(addr())
    await s.handshake('acme/bad/typer')
    const good = Envelope.encode(envelope())
    // Field 1 (type) as varint 99, appended: the last value of a field wins in protobuf.
    const bad = new Uint8Array([...good, 0x08, 99])
    s.sendBytes(new Uint8Array([0x2a, ...varint.encode(bad.byteLength), ...bad]))
    const f = await s.next()
    expect(f.fault).toMatchObject({ code: ErrorCode.UNKNOWN_TYPE, fatal: true })
    await s.closed
    await waitFor(() => !r.agents().some(a => a.startsWith('acme/bad/typer/')), 'the breaker to be detached')
    await s.stop()
    await othersUndisturbed()
  })

  it('a payload over the limit inside a valid frame: Fault PAYLOAD_TOO_LARGE, then cut off', async () => {
    const s = await rawSession(addr())
    await s.handshake('acme/bad/big')
    const big = envelope({ payload: new Uint8Array(MAX_PAYLOAD_BYTES + 1) })
    s.send({ messages: [big] })
    // First the message itself is refused by its id (its sender fails it once, never
    // resends it), then the session is cut.
    const refused = await s.next()
    expect(refused.acks[0]).toMatchObject({ code: ErrorCode.PAYLOAD_TOO_LARGE })
    expect(Array.from(refused.acks[0]?.messageId ?? [])).toEqual(Array.from(big.messageId))
    const f = await s.next()
    expect(f.fault).toMatchObject({ code: ErrorCode.PAYLOAD_TOO_LARGE, fatal: true })
    await s.closed
    await s.stop()
    await othersUndisturbed()
  })

  it('messages before the handshake: Fault PROTOCOL, then cut off', async () => {
    const s = await rawSession(addr())
    s.send({ messages: [envelope()] })
    const f = await s.next()
    expect(f.fault).toMatchObject({ code: ErrorCode.PROTOCOL, fatal: true })
    expect(f.fault?.reason).toMatch(/during the handshake/)
    await s.closed
    await s.stop()
    await othersUndisturbed()
  })

  it('an invalid name in Hello: Fault INVALID_NAME saying which component, then cut off', async () => {
    const s = await rawSession(addr())
    s.send({ hello: { name: 'acme/Research/alice', publicKey: new Uint8Array(publicKeyToProtobuf(s.key.publicKey)), version: 1, resumeToken: new Uint8Array(0) } })
    const f = await s.next()
    expect(f.fault).toMatchObject({ code: ErrorCode.INVALID_NAME, fatal: true })
    expect(f.fault?.reason).toMatch(/upper-case letter in component 2/)
    await s.closed
    await s.stop()
    await othersUndisturbed()
  })

  it('an invalid destination from an authenticated agent: a per-message error, not a disconnect', async () => {
    const s = await rawSession(addr())
    await s.handshake('acme/bad/namer')
    const env = envelope({ destination: 'acme/no such/thing' })
    s.send({ messages: [env] })
    const f = await s.next()
    expect(f.acks[0]).toMatchObject({ code: ErrorCode.INVALID_NAME })
    expect(f.acks[0]?.reason).toMatch(/component 2/)
    expect(s.stream.status).toBe('open')
    await s.stop()
    await othersUndisturbed()
  })

  it('the agent API refuses an invalid name and an oversized payload before sending', async () => {
    await expect(client.publish('acme/Bad', text('x'))).rejects.toMatchObject({ name: 'InvalidNameError' })
    await expect(client.publish('acme/ok/svc', new Uint8Array(MAX_PAYLOAD_BYTES + 1))).rejects.toMatchObject({ name: 'PayloadTooLargeError' })
    await expect(client.subscribe('a/b')).rejects.toMatchObject({ name: 'InvalidNameError' })
    await othersUndisturbed()
  })

  it('an agent claiming a name whose key it does not hold: Fault AUTH_FAILED, then cut off', async () => {
    const s = await rawSession(addr())
    const other = await generateKeyPair('Ed25519')
    const stolen = agentNameForKey('acme/healthy/echo', other.publicKey) // another key's instance
    s.send({ hello: { name: stolen, publicKey: new Uint8Array(publicKeyToProtobuf(s.key.publicKey)), version: 1, resumeToken: new Uint8Array(0) } })
    const f = await s.next()
    expect(f.fault).toMatchObject({ code: ErrorCode.AUTH_FAILED, fatal: true })
    expect(f.fault?.reason).toMatch(/this identity key gives/)
    await s.closed
    await s.stop()
    await othersUndisturbed()
  })

  it('an agent presenting a key it cannot sign with: Fault AUTH_FAILED, then cut off', async () => {
    const s = await rawSession(addr())
    const victim = await generateKeyPair('Ed25519')
    const name = agentNameForKey('acme/healthy/echo', victim.publicKey)
    s.send({ hello: { name, publicKey: new Uint8Array(publicKeyToProtobuf(victim.publicKey)), version: 1, resumeToken: new Uint8Array(0) } })
    const ch = await s.next()
    expect(ch.challenge).toBeDefined()
    const forged = await s.key.sign(sessionProofPayload(ch.challenge!.nonce, r.peerId, name)) // signed with the wrong key
    s.send({ auth: { signature: new Uint8Array(forged) } })
    const f = await s.next()
    expect(f.fault).toMatchObject({ code: ErrorCode.AUTH_FAILED, fatal: true })
    expect(f.fault?.reason).toMatch(/does not prove the key/)
    await s.closed
    expect(r.agents()).not.toContain(name)
    await s.stop()
    await othersUndisturbed()
  })

  it('a relay that is not the peer its address names: connectAgent rejects with AuthenticationError', async () => {
    const impostor = (await generateKeyPair('Ed25519'))
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    const wrongRelay = addr().replace(/p2p\/.*$/, `p2p/${peerIdFromPrivateKey(impostor).toString()}`)
    await expect(agent(r, 'acme/healthy/x', { relay: wrongRelay })).rejects.toMatchObject({ name: 'AuthenticationError', message: expect.stringMatching(/could not prove the peer id/) })
    await othersUndisturbed()
  })

  it('a session that never finishes its handshake is cut after the timeout', async () => {
    const quick = await relay({ timings: { handshakeTimeoutMs: 300 } })
    try {
      const s = await rawSession(quick.multiaddrs[0] as string)
      const f = await s.next(3000)
      expect(f.fault).toMatchObject({ code: ErrorCode.TIMEOUT, fatal: true })
      await s.closed
      await s.stop()
    } finally {
      await quick.stop()
    }
  })

  it('frames a relay sends to agents, sent by an agent, are protocol violations', async () => {
    const s = await rawSession(addr())
    await s.handshake('acme/bad/mimic')
    s.send({ ready: { name: 'x', sessionId: new Uint8Array(1), keepaliveMs: 1, resumed: false } })
    const f = await s.next()
    expect(f.fault).toMatchObject({ code: ErrorCode.PROTOCOL, fatal: true })
    await s.closed
    await s.stop()
    await othersUndisturbed()
  })
})

