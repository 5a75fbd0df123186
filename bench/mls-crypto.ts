/**
 * Seal and open of one 1 KiB MLS application message (RFC 9420 section 6.3), median over
 * many runs, on three stacks measured in the same process (`measureSealOpen`):
 *
 *   - ts-mls with the node:crypto provider of src/mls,
 *   - ts-mls with its default (WebCrypto + noble) provider,
 *   - the bare node:crypto floor: Ed25519 sign + AES-128-GCM seal, and AES-128-GCM open +
 *     Ed25519 verify, with keys imported beforehand.
 *
 * Run alone: npx tsx bench/mls-crypto.bench.ts [iterations]; `npm run bench` includes it.
 */
import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import {
  createApplicationMessage, createCommit, createGroup, defaultCapabilities, defaultCryptoProvider, defaultLifetime,
  emptyPskIndex, generateKeyPackage, getCiphersuiteFromName, getCiphersuiteImpl, joinGroup, processPrivateMessage
} from 'ts-mls'
import type { CiphersuiteImpl, ClientState, CryptoProvider } from 'ts-mls'
import { createNodeCryptoProvider } from '../src/mls/index.js'

const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'
const MESSAGE = new Uint8Array(randomBytes(1024))
const warmup = 50

export interface Timing { seal: number[], open: number[] }

export function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] ?? NaN : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2
}

function ms (start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6
}

async function twoMemberGroup (cs: CiphersuiteImpl): Promise<{ alice: ClientState, bob: ClientState }> {
  const enc = new TextEncoder()
  const a = await generateKeyPackage({ credentialType: 'basic', identity: enc.encode('alice') }, defaultCapabilities(), defaultLifetime, [], cs)
  const b = await generateKeyPackage({ credentialType: 'basic', identity: enc.encode('bob') }, defaultCapabilities(), defaultLifetime, [], cs)
  const created = await createGroup(enc.encode('bench'), a.publicPackage, a.privatePackage, [], cs)
  const commit = await createCommit({ state: created, cipherSuite: cs }, {
    extraProposals: [{ proposalType: 'add', add: { keyPackage: b.publicPackage } }]
  })
  if (commit.welcome === undefined) throw new Error('the add commit carried no Welcome')
  const bob = await joinGroup(commit.welcome, b.publicPackage, b.privatePackage, emptyPskIndex, cs, commit.newState.ratchetTree)
  return { alice: commit.newState, bob }
}

async function measureMls (provider: CryptoProvider, iterations: number): Promise<Timing> {
  const cs = await getCiphersuiteImpl(getCiphersuiteFromName(SUITE), provider)
  let { alice, bob } = await twoMemberGroup(cs)
  const t: Timing = { seal: [], open: [] }
  for (let i = 0; i < warmup + iterations; i++) {
    let start = process.hrtime.bigint()
    const sealed = await createApplicationMessage(alice, MESSAGE, cs)
    const sealMs = ms(start)
    alice = sealed.newState
    start = process.hrtime.bigint()
    const opened = await processPrivateMessage(bob, sealed.privateMessage, emptyPskIndex, cs)
    const openMs = ms(start)
    bob = opened.newState
    if (opened.kind !== 'applicationMessage' || opened.message.byteLength !== MESSAGE.byteLength) {
      throw new Error('bob did not get the application message back')
    }
    if (i >= warmup) { t.seal.push(sealMs); t.open.push(openMs) }
  }
  return t
}

function measureFloor (iterations: number): Timing {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const key = randomBytes(16)
  const aad = randomBytes(40)
  const t: Timing = { seal: [], open: [] }
  for (let i = 0; i < warmup + iterations; i++) {
    const nonce = randomBytes(12)
    let start = process.hrtime.bigint()
    const signature = sign(null, MESSAGE, privateKey)
    const c = createCipheriv('aes-128-gcm', key, nonce)
    c.setAAD(aad)
    const ct = Buffer.concat([c.update(MESSAGE), c.update(signature), c.final()])
    const tag = c.getAuthTag()
    const sealMs = ms(start)
    start = process.hrtime.bigint()
    const d = createDecipheriv('aes-128-gcm', key, nonce)
    d.setAAD(aad)
    d.setAuthTag(tag)
    const pt = Buffer.concat([d.update(ct), d.final()])
    const ok = verify(null, pt.subarray(0, MESSAGE.byteLength), publicKey, pt.subarray(MESSAGE.byteLength))
    const openMs = ms(start)
    if (!ok) throw new Error('floor round trip did not verify')
    if (i >= warmup) { t.seal.push(sealMs); t.open.push(openMs) }
  }
  return t
}

export interface SealOpenResult { suite: string, iterations: number, floor: Timing, node: Timing, tsMlsDefault: Timing }

/** Medians in ms of seal and open on the three stacks, measured in this run. */
export async function measureSealOpen (iterations = 400): Promise<SealOpenResult> {
  const floor = measureFloor(iterations)
  const node = await measureMls(createNodeCryptoProvider(), iterations)
  const tsMlsDefault = await measureMls(defaultCryptoProvider, iterations)
  return { suite: SUITE, iterations, floor, node, tsMlsDefault }
}
