import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { checkCredential, credentialFor, NameKeyAuthenticationService } from '../../src/channel/credentials.js'
import { decodeWelcome, makeKeyPackage, MlsGroup } from '../../src/channel/group.js'
import { DEFAULT_SUITE } from '../../src/channel/suites.js'
import { localMember } from './channel-helpers.js'

describe('channel credentials', () => {
  it('accepts a name whose instance is the one its Ed25519 key gives', async () => {
    const m = await localMember('acme/test/alice')
    expect(checkCredential(credentialFor(m.name), m.identity.publicKey.raw)).toBe(m.name)
    expect(await new NameKeyAuthenticationService().validateCredential(credentialFor(m.name), m.identity.publicKey.raw)).toBe(true)
  })

  it('refuses a name with another key, a non-agent name, a non-basic credential and a key of the wrong size', async () => {
    const m = await localMember('acme/test/alice')
    const other = await generateKeyPair('Ed25519')
    const auth = new NameKeyAuthenticationService()
    expect(await auth.validateCredential(credentialFor(m.name), other.publicKey.raw)).toBe(false)
    expect(auth.lastRefusal?.name).toBe('CredentialMismatchError')
    expect(auth.lastRefusal?.message).toMatch(/gives instance/)
    expect(() => checkCredential(credentialFor('acme/test/alice'), m.identity.publicKey.raw)).toThrow(/not an agent name/)
    expect(() => checkCredential({ credentialType: 'x509', certificates: [] }, m.identity.publicKey.raw)).toThrow(/basic credentials/)
    expect(() => checkCredential({ credentialType: 'basic', identity: new Uint8Array([0xff, 0xfe]) }, m.identity.publicKey.raw)).toThrow(/UTF-8/)
    expect(() => checkCredential(credentialFor(m.name), new Uint8Array(33))).toThrow(/32 bytes/)
  })

  it('a joiner refuses a Welcome whose tree holds a forged credential', async () => {
    const bob = await localMember('acme/test/bob')
    const mallory = await generateKeyPair('Ed25519')
    // Mallory creates a group under Bob's name with her own key, and adds Carol.
    const forgedCreator = await MlsGroup.create('acme/test/chan', { name: bob.name, identity: mallory }, DEFAULT_SUITE)
    const carol = await localMember('acme/test/carol')
    const kp = await makeKeyPackage(carol, DEFAULT_SUITE)
    const add = await forgedCreator.buildAdd(kp.bytes)
    await expect(MlsGroup.join(decodeWelcome(add.welcome as Uint8Array), kp.publicPackage, kp.privatePackage, carol.name))
      .rejects.toMatchObject({ name: 'CredentialMismatchError' })
  })

  it('a member refuses to add a key package with a forged credential, before building any commit', async () => {
    const a = await localMember('acme/test/alice')
    const bob = await localMember('acme/test/bob')
    const alice = await MlsGroup.create('acme/test/chan', a, DEFAULT_SUITE)
    const kp = await makeKeyPackage(bob, DEFAULT_SUITE)
    const add = await alice.buildAdd(kp.bytes)
    alice.applyOwn(add)
    const bobGroup = await MlsGroup.join(decodeWelcome(add.welcome as Uint8Array), kp.publicPackage, kp.privatePackage, bob.name)
    // Mallory's key package claims Carol's name; Bob refuses to add it before anything is sent.
    const carol = await localMember('acme/test/carol')
    const mallory = await generateKeyPair('Ed25519')
    const forged = await makeKeyPackage({ name: carol.name, identity: mallory }, DEFAULT_SUITE)
    await expect(bobGroup.buildAdd(forged.bytes)).rejects.toMatchObject({ name: 'CredentialMismatchError' })
    expect(bobGroup.epoch).toBe(1)
  })
})
