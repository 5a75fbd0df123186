/**
 * A relay's trust settings from files (`slim-mesh node`'s `trust` settings): the
 * authority's file, this relay's credential file, and external issuers' JWKS files.
 */
import { readFile } from 'node:fs/promises'
import type { JSONWebKeySet } from 'jose'
import { readCredentials } from './credentials-file.js'
import type { TrustOptions } from './relay-trust.js'
import type { ExternalIssuer } from './verifier.js'
import { TrustConfigError } from './errors.js'

export interface TrustFiles {
  authority?: string
  credentials?: string
  external?: Array<{ prefix: string, jwks: string, issuer?: string }>
}

export async function trustFromFiles (files: TrustFiles): Promise<TrustOptions | undefined> {
  if (files.authority == null) {
    if (files.credentials != null) throw new TrustConfigError('a relay credential needs the mesh authority it belongs to: give trust.authority (--authority) too')
    return undefined
  }
  const a = await readCredentials(files.authority)
  if (a.kind !== 'slim-mesh/authority' && a.kind !== 'slim-mesh/authority-public') throw new TrustConfigError(`${files.authority} is a ${a.kind} file, not the mesh authority (slim-mesh authority init writes one)`)
  let credential: string | undefined
  if (files.credentials != null) {
    const c = await readCredentials(files.credentials)
    if (c.kind !== 'slim-mesh/relay') throw new TrustConfigError(`${files.credentials} is a ${c.kind} file, not a relay credential (slim-mesh credential issue --relay PEER_ID)`)
    if (c.authority.mesh !== (a.kind === 'slim-mesh/authority' ? a.authority.authority.mesh : a.authority.mesh)) throw new TrustConfigError(`${files.credentials} is for mesh ${c.authority.mesh}, not the mesh of ${files.authority}`)
    credential = c.credential
  }
  const external: ExternalIssuer[] = []
  for (const e of files.external ?? []) {
    let jwks: JSONWebKeySet
    try { jwks = JSON.parse(await readFile(e.jwks, 'utf8')) as JSONWebKeySet } catch (err) { throw new TrustConfigError(`cannot read the JWKS ${e.jwks} for ${e.prefix}: ${(err as Error).message}`, { cause: err }) }
    external.push({ prefix: e.prefix, jwks, issuer: e.issuer })
  }
  return { authority: a.authority, credential, external }
}
