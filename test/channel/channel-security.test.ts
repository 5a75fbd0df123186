import { describe, it, expect, afterEach } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { agent, converged, relay, stopAll, tempDir, text, waitFor } from '../helpers.js'
import type { Agent } from '../../src/agent/agent.js'
import type { Relay } from '../../src/node/relay-node.js'
import { openStore } from '../../src/store/level-store.js'
import { makeKeyPackage } from '../../src/channel/group.js'
import { QUANTUM_SAFE_SUITE } from '../../src/channel/suites.js'
import { read, addAndJoin } from './channel-helpers.js'

const CH = 'acme/research/summarizer'

async function filesUnder (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...await filesUnder(p))
    else out.push(p)
  }
  return out
}

/** Whether `marker` occurs in any file under `dir`, or in any record or archived message of its store. */
async function holds (dir: string, names: string[], marker: string): Promise<boolean> {
  const m = Buffer.from(marker)
  for (const f of await filesUnder(dir)) if ((await readFile(f)).includes(m)) return true
  const store = await openStore(dir)
  try {
    for (const [, v] of await store.list('')) if (Buffer.from(v).includes(m)) return true
    for (const name of names) for (const a of await store.range(name, 1, 10_000)) if (Buffer.from(a.bytes).includes(m)) return true
  } finally { await store.close() }
  return false
}

describe('channel security with real relays', () => {
  let relays: Relay[] = []
  let agents: Agent[] = []
  afterEach(async () => { await stopAll(...relays, ...agents); relays = []; agents = [] })

  it('relays keep no plaintext of channel messages (while a plain publish on the same relays is found)', async () => {
    await using d0 = await tempDir()
    await using d1 = await tempDir()
    await using d2 = await tempDir()
    const dirs = [d0.path, d1.path, d2.path]
    const r0 = await relay({ dataDir: dirs[0] })
    const r1 = await relay({ dataDir: dirs[1], bootstrap: [r0.multiaddrs[0] as string] })
    const r2 = await relay({ dataDir: dirs[2], bootstrap: [r1.multiaddrs[0] as string] })
    relays = [r0, r1, r2]
    await converged(relays)
    const a = await agent(r0, 'acme/research/alice')
    const b = await agent(r1, 'acme/research/bob')
    const c = await agent(r2, 'acme/research/carol')
    agents = [a, b, c]
    const secret = `SECRET-${randomBytes(8).toString('hex')}`
    const control = `CONTROL-${randomBytes(8).toString('hex')}`

    const ach = await a.createChannel(CH)
    const bch = await addAndJoin(ach, b, CH)
    const cch = await addAndJoin(ach, c, CH)
    const readers = [read(bch), read(cch)]
    for (let i = 0; i < 5; i++) await ach.send(text(`${secret} #${i}`))
    await bch.send(text(`${secret} from bob`))
    await waitFor(() => readers.every(r => r.messages.length === 6), 'members to read everything')
    // A plain (non-channel) multicast with a marker, so the scan is shown to see what relays archive.
    const plainSub = await a.subscribe('acme/research/plain')
    await a.publish('acme/research/plain', text(control), { mode: 'multicast' })
    for await (const m of plainSub) { expect(new TextDecoder().decode(m.data)).toBe(control); break }

    await stopAll(...agents); agents = []
    await stopAll(...relays); relays = []
    const anyControl = (await Promise.all(dirs.map(async d => await holds(d, [CH, 'acme/research/plain'], control)))).some(Boolean)
    expect(anyControl).toBe(true)
    for (const d of dirs) expect(await holds(d, [CH, 'acme/research/plain'], secret)).toBe(false)
    // The channel's traffic is archived (as ciphertext) at its sequencer.
    const archived = await Promise.all(dirs.map(async d => { const s = await openStore(d); try { return (await s.range(CH, 1, 100)).length } finally { await s.close() } }))
    expect(Math.max(...archived)).toBeGreaterThanOrEqual(8)
  }, 60_000)

  it('a quantum-safe (X-Wing) channel works end to end', async () => {
    relays = [await relay()]
    relays.push(await relay({ bootstrap: [relays[0]!.multiaddrs[0] as string] }))
    await converged(relays)
    const a = await agent(relays[0]!, 'acme/research/alice')
    const b = await agent(relays[1]!, 'acme/research/bob')
    agents = [a, b]
    const ach = await a.createChannel(CH, { cipherSuite: QUANTUM_SAFE_SUITE })
    expect(ach.suite).toBe(QUANTUM_SAFE_SUITE)
    // A key package of another suite does not fit.
    await expect(ach.addMember(await b.keyPackage())).rejects.toMatchObject({ name: 'UnsupportedChannelSuiteError' })
    const bj = b.joinChannel(CH, { timeoutMs: 20_000 })
    await ach.addMember(await b.keyPackage({ cipherSuite: QUANTUM_SAFE_SUITE }))
    const bch = await bj
    expect(bch.suite).toBe(QUANTUM_SAFE_SUITE)
    const ar = read(ach)
    const br = read(bch)
    await ach.send(text('post-quantum hello'))
    await bch.send(text('post-quantum reply'))
    await waitFor(() => ar.messages.length === 2 && br.messages.length === 2, 'both to read both')
    expect(br.texts()).toEqual(ar.texts())
    expect(br.texts()).toEqual(['post-quantum hello', 'post-quantum reply'])
    await bch.update()
    await waitFor(() => ach.epoch === bch.epoch, 'alice to apply the update')
    expect(Buffer.from(ach.epochAuthenticator).equals(Buffer.from(bch.epochAuthenticator))).toBe(true)
  })

  it('refuses a key package whose name does not match its key, by addMember and by invite', async () => {
    relays = [await relay()]
    const a = await agent(relays[0]!, 'acme/research/alice')
    const b = await agent(relays[0]!, 'acme/research/bob')
    agents = [a, b]
    const ach = await a.createChannel(CH)
    // Mallory signs a key package that claims Bob's name with her own key.
    const mallory = await generateKeyPair('Ed25519')
    const forged = await makeKeyPackage({ name: b.name, identity: mallory }, 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519')
    await expect(ach.addMember(forged.bytes)).rejects.toMatchObject({ name: 'CredentialMismatchError' })
    expect(ach.epoch).toBe(0)
    expect(ach.members).toEqual([a.name])
    // The genuine one is accepted.
    const bj = b.joinChannel(CH, { timeoutMs: 20_000 })
    await ach.addMember(await b.keyPackage())
    await bj
    expect(ach.members).toEqual([a.name, b.name])
    // Garbage is a typed error too, and the channel goes on.
    await expect(ach.addMember(new Uint8Array([0, 1, 0, 5, 1, 2, 3]))).rejects.toMatchObject({ name: 'InvalidChannelMessageError' })
    await expect(ach.addMember(await b.keyPackage())).rejects.toMatchObject({ name: 'AlreadyMemberError' })
    expect((await ach.send(text('still fine'))).seq).toBeGreaterThan(0)
  })
})
