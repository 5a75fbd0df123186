import { describe, it, expect, afterAll, beforeAll } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createController } from '../../src/control/controller.js'
import type { Controller } from '../../src/control/controller.js'
import { proofSigner, ProofChecker } from '../../src/control/proofs.js'
import { controllerCall } from '../../src/control/control-client.js'
import { operatorClient } from '../../src/control/operator-client.js'
import { createAuthority } from '../../src/trust/keys.js'
import { issueRelayCredential } from '../../src/trust/tokens.js'

let controller: Controller
beforeAll(async () => { controller = await createController({ listen: '127.0.0.1:0' }) })
afterAll(async () => { await controller.stop() })

const refusal = async (p: Promise<unknown>): Promise<{ status: number, rule: string }> => {
  try { await p } catch (err) { return err as { status: number, rule: string } }
  throw new Error('the request was not refused')
}

describe('controller authentication', () => {
  it('refuses a request without a proof, with a proof for another path or method, and a replayed proof', async () => {
    const admin = controller.adminCredentials
    if (admin.kind !== 'slim-mesh/agent' || admin.key == null) throw new Error('no admin key')
    const signer = await proofSigner(admin.key)
    const url = `${controller.url}/v1/nodes`
    const auth = { authorization: `SlimMesh ${admin.credential}` }
    expect(await refusal(controllerCall(url, 'GET', auth))).toMatchObject({ status: 401, rule: 'proof.missing' })
    expect(await refusal(controllerCall(url, 'GET', { ...auth, dpop: await signer.sign('GET', `${controller.url}/v1/links`) }))).toMatchObject({ rule: 'proof.url' })
    expect(await refusal(controllerCall(url, 'GET', { ...auth, dpop: await signer.sign('POST', url) }))).toMatchObject({ rule: 'proof.method' })
    const proof = await signer.sign('GET', url)
    await expect(controllerCall(url, 'GET', { ...auth, dpop: proof })).resolves.toBeDefined()
    expect(await refusal(controllerCall(url, 'GET', { ...auth, dpop: proof }))).toMatchObject({ rule: 'proof.replayed' })
    expect(await refusal(controllerCall(url, 'GET', { dpop: await signer.sign('GET', url) }))).toMatchObject({ status: 401, rule: 'credential.missing' })
    expect(await refusal(controllerCall(url, 'GET', { authorization: 'SlimMesh not-a-jwt', dpop: await signer.sign('GET', url) }))).toMatchObject({ status: 401, rule: 'credential.malformed' })
  })

  it('refuses a proof made more than a minute from the controller\'s clock', async () => {
    const key = await generateKeyPair('Ed25519')
    const proof = await (await proofSigner(key)).sign('GET', 'http://127.0.0.1/v1/nodes')
    const later = new ProofChecker(() => Math.floor(Date.now() / 1000) + 120)
    await expect(later.verify(proof, 'GET', '/v1/nodes')).rejects.toMatchObject({ rule: 'proof.stale' })
    await expect(new ProofChecker().verify(proof, 'GET', '/v1/nodes')).resolves.toMatchObject({ peerId: peerIdFromPrivateKey(key).toString() })
  })

  it('refuses a relay that is not on the roster, a relay credential of another mesh, and a credential shown with another key\'s proof', async () => {
    const authority = await createAuthority()
    const own = await createController({ listen: '127.0.0.1:0', authority })
    try {
      const key = await generateKeyPair('Ed25519')
      const peerId = peerIdFromPrivateKey(key).toString()
      const signer = await proofSigner(key)
      const url = `${own.url}/v1/heartbeat`
      const body = { generation: 0, hash: '', items: [], summary: {}, addrs: [], routes: [], actors: [] }
      const heartbeat = async (cred: string, s = signer): Promise<unknown> => await controllerCall(url, 'POST', { authorization: `SlimMesh ${cred}`, dpop: await s.sign('POST', url) }, body)
      // Signed by the mesh authority, but this relay never joined:
      expect(await refusal(heartbeat(await issueRelayCredential(authority, { peerId })))).toMatchObject({ status: 403, rule: 'relay.unknown' })
      // Of another mesh:
      expect(await refusal(heartbeat(await issueRelayCredential(await createAuthority(), { peerId })))).toMatchObject({ status: 401, rule: 'credential.wrong-mesh' })
      // Its credential, shown by another key:
      const thief = await proofSigner(await generateKeyPair('Ed25519'))
      expect(await refusal(heartbeat(await issueRelayCredential(authority, { peerId }), thief))).toMatchObject({ status: 401, rule: 'credential.key-mismatch' })
      // The watch and state routes are a relay's too.
      const watch = `${own.url}/v1/watch`
      expect(await refusal(controllerCall(watch, 'GET', { authorization: `SlimMesh ${await issueRelayCredential(authority, { peerId })}`, dpop: await signer.sign('GET', watch) }))).toMatchObject({ rule: 'relay.unknown' })
    } finally {
      await own.stop()
    }
  })

  it('lets a dashboard session read, not write, and refuses an unknown one', async () => {
    const ctl = await operatorClient(controller.url, controller.adminCredentials)
    const { token } = await ctl.request<{ token: string }>('POST', '/v1/dashboard')
    await expect(controllerCall(`${controller.url}/v1/mesh`, 'GET', { authorization: `Bearer ${token}` })).resolves.toMatchObject({ mesh: controller.mesh })
    expect(await refusal(controllerCall(`${controller.url}/v1/mesh`, 'GET', { authorization: 'Bearer nope' }))).toMatchObject({ status: 401, rule: 'dashboard.session' })
    expect(await refusal(controllerCall(`${controller.url}/v1/tokens`, 'POST', { authorization: `Bearer ${token}` }, {}))).toMatchObject({ status: 401, rule: 'credential.missing' })
  })

  it('refuses a heartbeat whose summary is not one (bad input from a relay), and goes on serving the mesh', async () => {
    const key = await generateKeyPair('Ed25519')
    const signer = await proofSigner(key)
    const { token } = await controller.createJoinToken()
    const reg = `${controller.url}/v1/register`
    const joined = await controllerCall(reg, 'POST', { dpop: await signer.sign('POST', reg) }, { token }) as { credential: string }
    const url = `${controller.url}/v1/heartbeat`
    const beat = async (summary: unknown): Promise<unknown> => await controllerCall(url, 'POST', { authorization: `SlimMesh ${joined.credential}`, dpop: await signer.sign('POST', url) }, { generation: 1, hash: '', items: [], summary, addrs: [], routes: [], actors: [] })
    expect(await refusal(beat({ links: 'not a list' }))).toMatchObject({ status: 400, rule: 'request.invalid' })
    const modes = { anycast: 0, multicast: 0, unicast: 0 }
    const good = { at: Date.now(), startedAt: Date.now(), sessions: 0, messagesIn: modes, messagesOut: modes, deliveries: 0, acks: 0, denials: {}, authFailures: 0, publishesByAgent: {}, sequencers: [], eventLoopDelayMs: 1, queuedBytes: 0, slowConsumersCut: 0, links: [] }
    expect(await refusal(beat({ ...good, sessions: -1 }))).toMatchObject({ status: 400 })
    await expect(beat(good)).resolves.toMatchObject({ generation: controller.state().state.generation })
    expect(controller.relayState(peerIdFromPrivateKey(key).toString())).toMatch(/^live\./)
    // A join token is taken once: a second registration with it, by another key, is refused.
    const other = await proofSigner(await generateKeyPair('Ed25519'))
    expect(await refusal(controllerCall(reg, 'POST', { dpop: await other.sign('POST', reg) }, { token }))).toMatchObject({ status: 403, rule: 'join-token.used' })
  })
})
