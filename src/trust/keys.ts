/**
 * The signing keys of the trust model: a mesh authority (the root, like a NATS
 * operator) and issuers it delegates a name prefix to (like NATS accounts). Both are
 * Ed25519 keys handled by `jose`; a key is known by its JWK thumbprint (RFC 7638), and
 * the authority's thumbprint is the mesh id.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose'
import type { CryptoKey, JWK } from 'jose'
import { TrustConfigError } from './errors.js'

export const ALG = 'EdDSA'

/** The authority as relays and agents know it: its public key and the mesh id it gives. */
export interface AuthorityPublic {
  /** The thumbprint of `jwk`: the mesh's id, and the `kid` the authority signs with. */
  mesh: string
  jwk: JWK
}

/** A key that signs credentials: the authority itself, or an issuer for `prefix`. */
export interface SigningKey {
  kid: string
  /** Its public key. */
  jwk: JWK
  /** Its private key, as a JWK (for files) and ready to sign. */
  privateJwk: JWK
  privateKey: CryptoKey
  /** The names it may sign for: `**` for the authority. */
  prefix: string
  /** For an issuer, the authority's delegation to it (a JWT), sent along with what it signs. */
  delegation?: string
  /** The mesh it belongs to. */
  authority: AuthorityPublic
}

export type Authority = SigningKey & { delegation?: undefined }

/** The public half of an Ed25519 JWK (no `d`). */
export function publicJwk (jwk: JWK): JWK {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new TrustConfigError('a trust key must be an Ed25519 JWK (kty OKP, crv Ed25519)')
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x }
}

export async function thumbprint (jwk: JWK): Promise<string> {
  return await calculateJwkThumbprint(publicJwk(jwk))
}

/** The JWK of a raw 32-byte Ed25519 public key (an agent's identity key). */
export function ed25519Jwk (raw: Uint8Array): JWK {
  return { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }
}

/** The raw 32 bytes of an Ed25519 JWK's public key. */
export function rawOfJwk (jwk: JWK): Uint8Array {
  return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))
}

/** A key's id as credentials and key revocations name it: the thumbprint of its JWK. */
export async function keyIdOf (raw: Uint8Array): Promise<string> {
  return await thumbprint(ed25519Jwk(raw))
}

async function freshKey (): Promise<{ jwk: JWK, privateJwk: JWK, privateKey: CryptoKey }> {
  const { privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true })
  const privateJwk = await exportJWK(privateKey)
  return { jwk: publicJwk(privateJwk), privateJwk, privateKey }
}

/** A new mesh authority. */
export async function createAuthority (): Promise<Authority> {
  const k = await freshKey()
  const mesh = await thumbprint(k.jwk)
  return { ...k, kid: mesh, prefix: '**', authority: { mesh, jwk: k.jwk } }
}

/** A signing key from its private JWK (as files keep it). */
export async function signingKeyFromJwk (privateJwk: JWK, rest: { prefix: string, delegation?: string, authority?: AuthorityPublic }): Promise<SigningKey> {
  if (typeof privateJwk?.d !== 'string') throw new TrustConfigError('the key has no private part (d); a signing key file is needed, not a public one')
  let privateKey: CryptoKey
  try {
    privateKey = await importJWK(privateJwk, ALG, { extractable: true }) as CryptoKey
  } catch (err) {
    throw new TrustConfigError(`the signing key is not a valid Ed25519 JWK: ${(err as Error).message}`, { cause: err })
  }
  const jwk = publicJwk(privateJwk)
  const kid = await thumbprint(jwk)
  const authority = rest.authority ?? { mesh: kid, jwk }
  return { kid, jwk, privateJwk, privateKey, prefix: rest.prefix, delegation: rest.delegation, authority }
}

/** Checks that `jwk` is an authority's public key and gives it with its mesh id. */
export async function authorityPublic (jwk: JWK, mesh?: string): Promise<AuthorityPublic> {
  const pub = publicJwk(jwk)
  const id = await thumbprint(pub)
  if (mesh != null && mesh !== id) throw new TrustConfigError(`the authority key's thumbprint is ${id}, but it is labelled as mesh ${mesh}`)
  return { mesh: id, jwk: pub }
}

/** A new key for an issuer (the delegation that makes it one is signed in ./tokens.ts). */
export async function freshSigningKey (): Promise<{ jwk: JWK, privateJwk: JWK, privateKey: CryptoKey, kid: string }> {
  const k = await freshKey()
  return { ...k, kid: await thumbprint(k.jwk) }
}
