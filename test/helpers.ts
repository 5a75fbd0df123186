/** Real relays on 127.0.0.1 in topologies, and waiting on conditions (never on sleeps). */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRelay } from '../src/node/relay-node.js'
import type { Relay, RelayOptions } from '../src/node/relay-node.js'
import { connectAgent } from '../src/agent/agent.js'
import type { Agent, ConnectAgentOptions } from '../src/agent/agent.js'
import type { Message } from '../src/agent/message.js'
import type { Subscription } from '../src/agent/subscription.js'
import { relayInternals } from '../src/node/relay-node.js'
import { createAuthority } from '../src/trust/keys.js'
import type { Authority } from '../src/trust/keys.js'
import { delegateIssuer, issueAgentCredential } from '../src/trust/tokens.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { writeCredentials } from '../src/trust/credentials-file.js'
import type { AgentCredentials } from '../src/trust/credentials-file.js'

/**
 * The mesh every test relay and agent belongs to, unless a test says otherwise: one
 * authority per test file, and an issuer for every name that agents sign their own
 * credentials with. So the whole suite runs with trust on, as a user's mesh does.
 */
export interface TestMesh {
  authority: Authority
  credentials: AgentCredentials
  /** The authority as a file (for relays in their own processes). */
  authorityFile: string
  /** The issuer's credentials as a file (for agent commands). */
  credentialsFile: string
  /** An admin credential with its key, as a file (for `slim-mesh inspect`). */
  adminFile: string
}

let mesh: Promise<TestMesh> | undefined
export async function testMesh (): Promise<TestMesh> {
  mesh ??= (async () => {
    const authority = await createAuthority()
    const dir = await mkdtemp(join(tmpdir(), 'slim-mesh-authority-'))
    const authorityFile = join(dir, 'authority.json')
    await writeCredentials(authorityFile, { kind: 'slim-mesh/authority', authority })
    const credentials: AgentCredentials = { kind: 'slim-mesh/issuer', authority: authority.authority, issuer: await delegateIssuer(authority, { prefix: '**' }) }
    const credentialsFile = join(dir, 'issuer.creds')
    await writeCredentials(credentialsFile, credentials)
    const adminKey = await generateKeyPair('Ed25519')
    const adminFile = join(dir, 'admin.creds')
    await writeCredentials(adminFile, { kind: 'slim-mesh/agent', authority: authority.authority, key: adminKey, credential: await issueAgentCredential(authority, { name: 'test/mesh/admin', publicKey: adminKey.publicKey.raw, grants: {}, admin: true }) })
    return { authority, authorityFile, credentials, credentialsFile, adminFile }
  })()
  return await mesh
}

export const FAST: Partial<RelayOptions> = {
  config: { announceIntervalMs: 300, routeTtlMs: 1500, requestTimeoutMs: 3000, gapWaitMs: 30, tailCheckMs: 100, claimSettleMs: 150 },
  timings: { probeIntervalMs: 1000, gracePeriodMs: 5000 }
}

export async function waitFor (cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now()
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

export async function relay (opts: RelayOptions = {}): Promise<Relay> {
  const trust = opts.trust ?? { authority: (await testMesh()).authority }
  return await createRelay({ ...FAST, ...opts, trust, config: { ...FAST.config, ...opts.config }, timings: { ...FAST.timings, ...opts.timings } })
}

/** Waits until every relay knows a route to every other relay. */
export async function converged (relays: Relay[]): Promise<void> {
  await waitFor(() => relays.every(r => relays.every(o => o === r || relayInternals(r).table.distance(o.peerId) < Infinity)), 'routes to converge')
}

/** A line: r0 - r1 - ... - r(n-1). */
export async function line (n: number, opts: RelayOptions = {}): Promise<Relay[]> {
  const relays: Relay[] = []
  for (let i = 0; i < n; i++) {
    const prev = relays[i - 1]
    relays.push(await relay({ ...opts, bootstrap: prev != null ? [prev.multiaddrs[0] as string] : [] }))
  }
  await converged(relays)
  return relays
}

/** A star: hub r0 with leaves r1..r(n-1). */
export async function star (n: number, opts: RelayOptions = {}): Promise<Relay[]> {
  const hub = await relay(opts)
  const relays = [hub]
  for (let i = 1; i < n; i++) relays.push(await relay({ ...opts, bootstrap: [hub.multiaddrs[0] as string] }))
  await converged(relays)
  return relays
}

export async function agent (r: Relay, name: string, opts: Partial<ConnectAgentOptions> = {}): Promise<Agent> {
  return await connectAgent({ relay: r.multiaddrs[0] as string, name, keepaliveMs: 500, credentials: (await testMesh()).credentials, ...opts })
}

/** Reads messages into an array in the background. */
export function collect (sub: Subscription): Message[] {
  const out: Message[] = []
  void (async () => { try { for await (const m of sub) out.push(m) } catch {} })()
  return out
}

/** Waits until `name` has an instance route at every relay. */
export async function routed (relays: Relay[], name: string, instances = 1): Promise<void> {
  await waitFor(() => relays.every(r => {
    const t = relayInternals(r).table
    let n = t.localInstances(name).length
    for (const rr of t.relays()) n += rr.names.get(name)?.instances.length ?? 0
    return n >= instances
  }), `routes for ${name}`)
}

export async function tempDir (): Promise<{ path: string, [Symbol.asyncDispose]: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'slim-mesh-'))
  return { path, [Symbol.asyncDispose]: async () => { await rm(path, { recursive: true, force: true }) } }
}

export async function stopAll (...things: Array<{ close?: () => unknown, stop?: () => unknown } | undefined>): Promise<void> {
  for (const t of things.reverse()) {
    try { if (t?.close != null) await t.close(); else if (t?.stop != null) await t.stop() } catch {}
  }
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
export const str = (b: Uint8Array): string => new TextDecoder().decode(b)
