/**
 * The development authority a relay makes for itself when it is given no trust: so the
 * quick start is closed by default and still one command. It lives in the relay's data
 * directory (`authority.json`), with an issuer for every name (`dev.creds`) that local
 * tools connect with: each run signs itself a short-lived credential for a fresh key.
 * Without a data directory both live in memory, for that relay's lifetime.
 */
import { access, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createAuthority } from './keys.js'
import type { Authority } from './keys.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { delegateIssuer, issueAgentCredential } from './tokens.js'
import { readCredentials, writeCredentials } from './credentials-file.js'
import type { AgentCredentials } from './credentials-file.js'
import { TrustConfigError } from './errors.js'

export const DEV_AUTHORITY_FILE = 'authority.json'
export const DEV_CREDENTIALS_FILE = 'dev.creds'
export const DEV_ADMIN_FILE = 'admin.creds'
/** The name the development admin credential takes (for `slim-mesh inspect`). */
export const DEV_ADMIN_NAME = 'dev/local/admin'

export interface DevAuthority {
  authority: Authority
  /** An issuer for every name of the mesh, for local agents and tools. */
  credentials: AgentCredentials
  /** Where `credentials` is kept (with a data directory). */
  credentialsPath?: string
  /** An admin credential, with its key (for `slim-mesh inspect`). */
  admin: AgentCredentials
  adminPath?: string
  /** Whether it was made just now. */
  created: boolean
}

async function exists (path: string): Promise<boolean> {
  try { await access(path); return true } catch { return false }
}

async function adminOf (authority: Authority): Promise<AgentCredentials> {
  const key = await generateKeyPair('Ed25519')
  const credential = await issueAgentCredential(authority, { name: DEV_ADMIN_NAME, publicKey: key.publicKey.raw, grants: {}, admin: true, lifetime: '365d' })
  return { kind: 'slim-mesh/agent', authority: authority.authority, credential, key }
}

/**
 * An admin credential of `authority`, kept as `admin.creds` in `dataDir` (made on first
 * use; in memory without a directory): what a controller given an authority hands its
 * operator.
 */
export async function loadOrCreateAdmin (authority: Authority, dataDir?: string): Promise<{ admin: AgentCredentials, adminPath?: string }> {
  if (dataDir == null) return { admin: await adminOf(authority) }
  const adminPath = join(dataDir, DEV_ADMIN_FILE)
  if (await exists(adminPath)) {
    const file = await readCredentials(adminPath)
    if (file.kind === 'slim-mesh/agent' && file.authority.mesh === authority.authority.mesh) return { admin: file, adminPath }
  }
  const admin = await adminOf(authority)
  await mkdir(dataDir, { recursive: true })
  await writeCredentials(adminPath, admin)
  return { admin, adminPath }
}

export async function loadOrCreateDevAuthority (dataDir?: string): Promise<DevAuthority> {
  if (dataDir == null) {
    const authority = await createAuthority()
    return { authority, credentials: { kind: 'slim-mesh/issuer', authority: authority.authority, issuer: await delegateIssuer(authority, { prefix: '**' }) }, admin: await adminOf(authority), created: true }
  }
  const authorityPath = join(dataDir, DEV_AUTHORITY_FILE)
  const credentialsPath = join(dataDir, DEV_CREDENTIALS_FILE)
  let authority: Authority
  let created = false
  if (await exists(authorityPath)) {
    const file = await readCredentials(authorityPath)
    if (file.kind !== 'slim-mesh/authority') throw new TrustConfigError(`${authorityPath} is a ${file.kind} file, not the relay's development authority`)
    authority = file.authority
  } else {
    authority = await createAuthority()
    await writeCredentials(authorityPath, { kind: 'slim-mesh/authority', authority })
    created = true
  }
  let credentials: AgentCredentials | undefined
  if (!created && await exists(credentialsPath)) {
    const file = await readCredentials(credentialsPath)
    if (file.kind === 'slim-mesh/issuer' && file.authority.mesh === authority.authority.mesh) credentials = file
  }
  if (credentials == null) {
    credentials = { kind: 'slim-mesh/issuer', authority: authority.authority, issuer: await delegateIssuer(authority, { prefix: '**' }) }
    await writeCredentials(credentialsPath, credentials)
  }
  const adminPath = join(dataDir, DEV_ADMIN_FILE)
  let admin: AgentCredentials | undefined
  if (!created && await exists(adminPath)) {
    const file = await readCredentials(adminPath)
    if (file.kind === 'slim-mesh/agent' && file.authority.mesh === authority.authority.mesh) admin = file
  }
  if (admin == null) {
    admin = await adminOf(authority)
    await writeCredentials(adminPath, admin)
  }
  return { authority, credentials, credentialsPath, admin, adminPath, created }
}
