import { describe, it, expect } from 'vitest'
import {
  createApplicationMessage, createCommit, createGroup, decodeMlsMessage, defaultCapabilities, defaultCryptoProvider,
  defaultLifetime, emptyPskIndex, encodeMlsMessage, generateKeyPackage, getCiphersuiteFromName, joinGroup,
  processPrivateMessage
} from 'ts-mls'
import type { CiphersuiteImpl, CiphersuiteName, ClientState, CryptoProvider } from 'ts-mls'
import { createNodeCryptoProvider } from '../../src/mls/node-crypto-provider.js'

const enc = new TextEncoder()

async function member (name: string, cs: CiphersuiteImpl): ReturnType<typeof generateKeyPackage> {
  return await generateKeyPackage({ credentialType: 'basic', identity: enc.encode(name) }, defaultCapabilities(), defaultLifetime, [], cs)
}

/** Alice (on `aliceCs`) makes a group and adds Bob (on `bobCs`) with a commit and a Welcome. */
async function channel (aliceCs: CiphersuiteImpl, bobCs: CiphersuiteImpl): Promise<{ alice: ClientState, bob: ClientState }> {
  const a = await member('alice', aliceCs)
  const b = await member('bob', bobCs)
  const group = await createGroup(enc.encode('acme/research'), a.publicPackage, a.privatePackage, [], aliceCs)
  const commit = await createCommit({ state: group, cipherSuite: aliceCs }, {
    extraProposals: [{ proposalType: 'add', add: { keyPackage: b.publicPackage } }]
  })
  if (commit.welcome === undefined) throw new Error('adding a member produced no Welcome')
  const bob = await joinGroup(commit.welcome, b.publicPackage, b.privatePackage, emptyPskIndex, bobCs, commit.newState.ratchetTree)
  return { alice: commit.newState, bob }
}

/** Seals `text` as `from`, sends it through the wire encoding, opens it as `to`. */
async function send (from: ClientState, fromCs: CiphersuiteImpl, to: ClientState, toCs: CiphersuiteImpl, text: string): Promise<{ from: ClientState, to: ClientState, received: string }> {
  const sealed = await createApplicationMessage(from, enc.encode(text), fromCs)
  const wire = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: sealed.privateMessage })
  const decoded = decodeMlsMessage(wire, 0)?.[0]
  if (decoded?.wireformat !== 'mls_private_message') throw new Error('the sealed message did not decode as a private message')
  const opened = await processPrivateMessage(to, decoded.privateMessage, emptyPskIndex, toCs)
  if (opened.kind !== 'applicationMessage') throw new Error(`expected an application message, got ${opened.kind}`)
  return { from: sealed.newState, to: opened.newState, received: new TextDecoder().decode(opened.message) }
}

async function impl (name: CiphersuiteName, provider: CryptoProvider): Promise<CiphersuiteImpl> {
  return await provider.getCiphersuiteImpl(getCiphersuiteFromName(name))
}

describe('a channel on the node:crypto provider', () => {
  const node = createNodeCryptoProvider()

  it('adds a member, who opens what the creator seals and answers', async () => {
    const cs = await impl('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519', node)
    let { alice, bob } = await channel(cs, cs)
    expect(bob.keySchedule.epochAuthenticator).toEqual(alice.keySchedule.epochAuthenticator)

    const first = await send(alice, cs, bob, cs, 'hello bob')
    expect(first.received).toBe('hello bob')
    alice = first.from
    bob = first.to

    const reply = await send(bob, cs, alice, cs, 'hello alice')
    expect(reply.received).toBe('hello alice')
  })

  it('rejects a sealed message whose ciphertext was changed in transit', async () => {
    const cs = await impl('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519', node)
    const { alice, bob } = await channel(cs, cs)
    const sealed = await createApplicationMessage(alice, enc.encode('do not touch'), cs)
    const ct = sealed.privateMessage.ciphertext.slice()
    ct[0] = (ct[0] ?? 0) ^ 1
    await expect(processPrivateMessage(bob, { ...sealed.privateMessage, ciphertext: ct }, emptyPskIndex, cs))
      .rejects.toMatchObject({ name: 'DecryptionFailedError' })
  })

  // Each suite runs its signature, HPKE and AEAD on node:crypto (1-7), or HPKE and ML-DSA from the fallback (83, 87).
  const suites: CiphersuiteName[] = [
    'MLS_128_DHKEMP256_AES128GCM_SHA256_P256',
    'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519',
    'MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448',
    'MLS_256_DHKEMP521_AES256GCM_SHA512_P521',
    'MLS_256_DHKEMP384_AES256GCM_SHA384_P384',
    'MLS_256_XWING_AES256GCM_SHA512_Ed25519',
    'MLS_256_XWING_CHACHA20POLY1305_SHA512_MLDSA87'
  ]
  for (const name of suites) {
    it(`carries a message on ${name}`, async () => {
      const cs = await impl(name, node)
      const { alice, bob } = await channel(cs, cs)
      expect((await send(alice, cs, bob, cs, name)).received).toBe(name)
    })
  }
})

describe('the node:crypto provider with ts-mls\'s default provider', () => {
  const node = createNodeCryptoProvider()
  const suites: CiphersuiteName[] = [
    'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
    'MLS_128_DHKEMP256_AES128GCM_SHA256_P256',
    'MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448',
    'MLS_256_DHKEMP521_AES256GCM_SHA512_P521'
  ]
  for (const name of suites) {
    it(`shares a channel both ways on ${name}: node creator, default joiner, and the reverse`, async () => {
      const n = await impl(name, node)
      const d = await impl(name, defaultCryptoProvider)

      const one = await channel(n, d)
      expect((await send(one.alice, n, one.bob, d, 'node to default')).received).toBe('node to default')
      expect((await send(one.bob, d, one.alice, n, 'default to node')).received).toBe('default to node')

      const two = await channel(d, n)
      expect((await send(two.alice, d, two.bob, n, 'default to node')).received).toBe('default to node')
      expect((await send(two.bob, n, two.alice, d, 'node to default')).received).toBe('node to default')
    })
  }
})
