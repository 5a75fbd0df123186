/**
 * Credentials as files, like NATS's `.creds`: JSON documents that say what they are
 * (`kind`), the mesh they belong to and its authority's public key (the trust anchor an
 * agent checks channel members against), and the secret where there is one.
 *
 * - `slim-mesh/authority`: the mesh authority with its private key (keep it offline);
 * - `slim-mesh/authority-public`: its public key only (what relays are given);
 * - `slim-mesh/issuer`: an issuer for a prefix, with its key and delegation: a process
 *   holding it signs itself a short-lived agent credential for a fresh key on each run;
 * - `slim-mesh/agent`: one agent credential, with the agent's key when asked for;
 * - `slim-mesh/relay`: a relay credential for one peer id.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import { privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { JWK } from 'jose'
import { authorityPublic, signingKeyFromJwk } from './keys.js'
import type { Authority, AuthorityPublic, SigningKey } from './keys.js'
import { TrustConfigError } from './errors.js'

export type CredentialsFile =
  | { kind: 'slim-mesh/authority', authority: Authority }
  | { kind: 'slim-mesh/authority-public', authority: AuthorityPublic }
  | { kind: 'slim-mesh/issuer', authority: AuthorityPublic, issuer: SigningKey }
  | { kind: 'slim-mesh/agent', authority: AuthorityPublic, credential: string, key?: PrivateKey }
  | { kind: 'slim-mesh/relay', authority: AuthorityPublic, credential: string }

/** What an agent connects with: its own credential, or an issuer to sign one per run. */
export type AgentCredentials = Extract<CredentialsFile, { kind: 'slim-mesh/agent' | 'slim-mesh/issuer' }>

const jwk = z.record(z.string(), z.unknown()).transform(v => v as JWK)
const fileSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('slim-mesh/authority'), mesh: z.string(), key: jwk }),
  z.object({ kind: z.literal('slim-mesh/authority-public'), mesh: z.string(), key: jwk }),
  z.object({ kind: z.literal('slim-mesh/issuer'), mesh: z.string(), authority: jwk, prefix: z.string(), key: jwk, delegation: z.string() }),
  z.object({ kind: z.literal('slim-mesh/agent'), mesh: z.string(), authority: jwk, credential: z.string(), key: z.string().optional() }),
  z.object({ kind: z.literal('slim-mesh/relay'), mesh: z.string(), authority: jwk, credential: z.string() })
])

/** The JSON text of a credentials file. */
export function formatCredentials (c: CredentialsFile): string {
  const doc = ((): Record<string, unknown> => {
    switch (c.kind) {
      case 'slim-mesh/authority': return { kind: c.kind, mesh: c.authority.authority.mesh, key: c.authority.privateJwk }
      case 'slim-mesh/authority-public': return { kind: c.kind, mesh: c.authority.mesh, key: c.authority.jwk }
      case 'slim-mesh/issuer': return { kind: c.kind, mesh: c.authority.mesh, authority: c.authority.jwk, prefix: c.issuer.prefix, key: c.issuer.privateJwk, delegation: c.issuer.delegation }
      case 'slim-mesh/agent': return { kind: c.kind, mesh: c.authority.mesh, authority: c.authority.jwk, credential: c.credential, ...(c.key != null ? { key: Buffer.from(privateKeyToProtobuf(c.key)).toString('base64') } : {}) }
      case 'slim-mesh/relay': return { kind: c.kind, mesh: c.authority.mesh, authority: c.authority.jwk, credential: c.credential }
    }
  })()
  return JSON.stringify(doc, null, 2) + '\n'
}

/** Reads a credentials document (`TrustConfigError` saying what is wrong with it). */
export async function parseCredentials (text: string, where = 'credentials'): Promise<CredentialsFile> {
  let raw: unknown
  try { raw = JSON.parse(text) } catch (err) { throw new TrustConfigError(`${where} is not JSON: ${(err as Error).message}`) }
  const r = fileSchema.safeParse(raw)
  if (!r.success) throw new TrustConfigError(`${where} is not a slim-mesh credentials file: ${r.error.issues.map(i => `${i.path.join('.') || 'kind'}: ${i.message}`).join('; ')}`)
  const d = r.data
  switch (d.kind) {
    case 'slim-mesh/authority': return { kind: d.kind, authority: await signingKeyFromJwk(d.key, { prefix: '**' }) as Authority }
    case 'slim-mesh/authority-public': return { kind: d.kind, authority: await authorityPublic(d.key, d.mesh) }
    case 'slim-mesh/issuer': {
      const authority = await authorityPublic(d.authority, d.mesh)
      return { kind: d.kind, authority, issuer: await signingKeyFromJwk(d.key, { prefix: d.prefix, delegation: d.delegation, authority }) }
    }
    case 'slim-mesh/agent': {
      let key: PrivateKey | undefined
      try { key = d.key != null ? privateKeyFromProtobuf(Buffer.from(d.key, 'base64')) : undefined } catch (err) { throw new TrustConfigError(`${where} has a key that is not a libp2p private key: ${(err as Error).message}`) }
      return { kind: d.kind, authority: await authorityPublic(d.authority, d.mesh), credential: d.credential, key }
    }
    case 'slim-mesh/relay': return { kind: d.kind, authority: await authorityPublic(d.authority, d.mesh), credential: d.credential }
  }
}

export async function readCredentials (path: string): Promise<CredentialsFile> {
  let text: string
  try { text = await readFile(path, 'utf8') } catch (err) { throw new TrustConfigError(`cannot read credentials file ${path}: ${(err as Error).message}`, { cause: err }) }
  return await parseCredentials(text, path)
}

/** Writes a credentials file; secrets (authority, issuer, agent with key) are readable by the owner only. */
export async function writeCredentials (path: string, c: CredentialsFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const secret = c.kind === 'slim-mesh/authority' || c.kind === 'slim-mesh/issuer' || (c.kind === 'slim-mesh/agent' && c.key != null)
  await writeFile(path, formatCredentials(c), { mode: secret ? 0o600 : 0o644 })
}

/** The public half of an authority, as relays and agents are given it. */
export function publicOf (a: Authority | AuthorityPublic): AuthorityPublic {
  return 'authority' in a ? a.authority : a
}
