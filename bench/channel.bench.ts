/**
 * Channel costs (a plain script, not a timed test):
 *
 *   1. One commit adding a member to a channel of 10, 100 and 1,000 members: the
 *      committer's build (createCommit with the Welcome and its ratchet tree) and a
 *      member's apply of that commit, on the channel layer (src/channel/group.ts), suite 1
 *      on the node:crypto provider, credentials checked on every leaf.
 *   2. Seal and open of a 1 KiB message through the channel layer (sender named from its
 *      credential), then the seal/open comparison of bench/mls-crypto.bench.ts (node:crypto
 *      provider, ts-mls default provider, bare node:crypto floor), run as is in a child.
 *
 * Run: npx tsx bench/channel.bench.ts [sizes, default 10,100,1000]
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { agentNameForKey } from '../src/names/identity.js'
import { decodeWelcome, makeKeyPackage, MlsGroup } from '../src/channel/group.js'
import type { LocalMember } from '../src/channel/group.js'
import { DEFAULT_SUITE } from '../src/channel/suites.js'

const sizes = (process.argv[2] ?? '10,100,1000').split(',').map(Number)

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] ?? NaN : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2
}
const now = (): number => Number(process.hrtime.bigint()) / 1e6

async function member (i: number): Promise<LocalMember> {
  const identity = await generateKeyPair('Ed25519')
  return { name: agentNameForKey(`acme/bench/m${i}`, identity.publicKey), identity }
}

/** A channel of `n` members: the creator adds n-1 key packages in one commit; member 1 joins by Welcome. */
async function channelOf (n: number): Promise<{ creator: MlsGroup, other: MlsGroup }> {
  const creator = await MlsGroup.create(`acme/bench/c${n}`, await member(0), DEFAULT_SUITE)
  const kps = []
  for (let i = 1; i < n; i++) kps.push({ ...(await makeKeyPackage(await member(i), DEFAULT_SUITE)), i })
  const all = await creator.buildAddAll(kps.map(k => k.bytes))
  creator.applyOwn(all)
  const first = kps[0]
  if (first == null || all.welcome == null) throw new Error('no Welcome')
  const other = await MlsGroup.join(decodeWelcome(all.welcome), first.publicPackage, first.privatePackage, 'member 1')
  return { creator, other }
}

async function addCost (n: number): Promise<{ build: number, apply: number, join: number, commitBytes: number, welcomeBytes: number }> {
  const { creator, other } = await channelOf(n)
  const runs = n >= 1000 ? 3 : 7
  const builds: number[] = []
  const applies: number[] = []
  const joins: number[] = []
  let commitBytes = 0
  let welcomeBytes = 0
  const saved = other.encode()
  for (let i = 0; i < runs; i++) {
    const joiner = await member(10_000 + i)
    const kp = await makeKeyPackage(joiner, DEFAULT_SUITE)
    let t = now()
    const pending = await creator.buildAdd(kp.bytes)
    builds.push(now() - t)
    commitBytes = pending.bytes.byteLength
    welcomeBytes = pending.welcome?.byteLength ?? 0
    const receiver = await MlsGroup.decode(saved, DEFAULT_SUITE, other.self)
    t = now()
    await receiver.applyCommit(pending.bytes)
    applies.push(now() - t)
    t = now()
    await MlsGroup.join(decodeWelcome(pending.welcome as Uint8Array), kp.publicPackage, kp.privatePackage, joiner.name)
    joins.push(now() - t)
  }
  return { build: median(builds), apply: median(applies), join: median(joins), commitBytes, welcomeBytes }
}

async function sealOpen (): Promise<{ seal: number, open: number }> {
  const a = await member(1)
  const b = await member(2)
  const alice = await MlsGroup.create('acme/bench/so', a, DEFAULT_SUITE)
  const kp = await makeKeyPackage(b, DEFAULT_SUITE)
  const add = await alice.buildAdd(kp.bytes)
  alice.applyOwn(add)
  const bob = await MlsGroup.join(decodeWelcome(add.welcome as Uint8Array), kp.publicPackage, kp.privatePackage, b.name)
  const msg = new Uint8Array(randomBytes(1024))
  const seals: number[] = []
  const opens: number[] = []
  for (let i = 0; i < 450; i++) {
    let t = now()
    const sealed = await alice.seal(msg)
    const s = now() - t
    t = now()
    const opened = await bob.open(sealed)
    const o = now() - t
    if (opened.data.byteLength !== 1024) throw new Error('round trip failed')
    if (i >= 50) { seals.push(s); opens.push(o) }
  }
  return { seal: median(seals), open: median(opens) }
}

process.stdout.write(`adding one member (${DEFAULT_SUITE}, node:crypto provider), medians:\n`)
process.stdout.write(`${'members'.padStart(8)}${'build ms'.padStart(11)}${'apply ms'.padStart(11)}${'join ms'.padStart(11)}${'commit B'.padStart(10)}${'welcome B'.padStart(11)}\n`)
for (const n of sizes) {
  const r = await addCost(n)
  process.stdout.write(`${String(n).padStart(8)}${r.build.toFixed(2).padStart(11)}${r.apply.toFixed(2).padStart(11)}${r.join.toFixed(2).padStart(11)}${String(r.commitBytes).padStart(10)}${String(r.welcomeBytes).padStart(11)}\n`)
}

const so = await sealOpen()
process.stdout.write(`\nchannel layer, 1 KiB message, median of 400: seal ${so.seal.toFixed(3)} ms, open ${so.open.toFixed(3)} ms, total ${(so.seal + so.open).toFixed(3)} ms\n\n`)

const here = path.dirname(fileURLToPath(import.meta.url))
const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'mls-crypto.bench.ts')], { encoding: 'utf8' })
process.stdout.write(child.stdout)
if (child.status !== 0) process.stderr.write(child.stderr)
