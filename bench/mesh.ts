/**
 * The mesh the benchmarks run in: one authority for every relay process (given as a
 * file), and an issuer agents sign their own credentials with, as a user's mesh runs.
 * `setTrust('open')` runs the next relays and agents in open mode instead, so the cost of
 * trust is measured against the same code in the same run.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAuthority } from '../src/trust/keys.js'
import { delegateIssuer } from '../src/trust/tokens.js'
import { writeCredentials } from '../src/trust/credentials-file.js'
import type { AgentCredentials } from '../src/trust/credentials-file.js'

export type BenchTrust = 'credentials' | 'open'

interface Mesh { authorityFile: string, credentials: AgentCredentials, dir: string }

let mesh: Promise<Mesh> | undefined
let mode: BenchTrust = 'credentials'

export function setTrust (m: BenchTrust): void { mode = m }
export function trustMode (): BenchTrust { return mode }

async function theMesh (): Promise<Mesh> {
  mesh ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slim-mesh-bench-'))
    const authority = await createAuthority()
    const authorityFile = join(dir, 'authority.json')
    await writeCredentials(authorityFile, { kind: 'slim-mesh/authority', authority })
    process.once('exit', () => { void rm(dir, { recursive: true, force: true }) })
    return { dir, authorityFile, credentials: { kind: 'slim-mesh/issuer', authority: authority.authority, issuer: await delegateIssuer(authority, { prefix: '**' }) } }
  })()
  return await mesh
}

/** What a relay process is started with: the authority's file, or `open`. */
export async function relayTrustArg (): Promise<string> {
  return mode === 'open' ? 'open' : (await theMesh()).authorityFile
}

/** What an agent connects with (undefined in open mode). */
export async function agentCredentials (): Promise<AgentCredentials | undefined> {
  return mode === 'open' ? undefined : (await theMesh()).credentials
}
