/**
 * The cipher suites a channel can use. Every member signs with its Ed25519 identity key
 * (the credential binds the name to that key), so only suites whose signature scheme is
 * Ed25519 are offered: the classic default (suite 1, RFC 9420 section 17.1) and the
 * quantum-safe hybrids ts-mls 1.6.4 offers (X-Wing, and ML-KEM), whose KEM part the
 * node:crypto provider takes from ts-mls's default provider.
 */
import { getCiphersuiteFromName } from 'ts-mls'
import type { CiphersuiteImpl, CiphersuiteName } from 'ts-mls'
import { nodeCryptoProvider } from '../mls/node-crypto-provider.js'
import { UnsupportedChannelSuiteError } from './errors.js'

/** X25519, AES-128-GCM, SHA-256, Ed25519. */
export const DEFAULT_SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' satisfies CiphersuiteName
/** X-Wing (X25519 + ML-KEM-768) KEM, AES-256-GCM, SHA-512, Ed25519. */
export const QUANTUM_SAFE_SUITE = 'MLS_256_XWING_AES256GCM_SHA512_Ed25519' satisfies CiphersuiteName

export const CHANNEL_SUITES: readonly CiphersuiteName[] = [
  DEFAULT_SUITE,
  'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519',
  QUANTUM_SAFE_SUITE,
  'MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519',
  'MLS_128_MLKEM512_AES128GCM_SHA256_Ed25519',
  'MLS_256_MLKEM768_AES256GCM_SHA384_Ed25519',
  'MLS_256_MLKEM1024_AES256GCM_SHA512_Ed25519'
]

/** Checks a suite name (default when undefined). */
export function channelSuite (name: string | undefined): CiphersuiteName {
  const suite = name ?? DEFAULT_SUITE
  if (!(CHANNEL_SUITES as readonly string[]).includes(suite)) {
    throw new UnsupportedChannelSuiteError(`cipher suite "${suite}" is not offered for channels; use one of ${CHANNEL_SUITES.join(', ')} (members sign with Ed25519 identity keys)`)
  }
  return suite as CiphersuiteName
}

const impls = new Map<CiphersuiteName, Promise<CiphersuiteImpl>>()

/** The suite's implementation on the node:crypto provider (one per suite per process). */
export async function suiteImpl (name: CiphersuiteName): Promise<CiphersuiteImpl> {
  let p = impls.get(name)
  if (p == null) {
    p = nodeCryptoProvider.getCiphersuiteImpl(getCiphersuiteFromName(name))
    impls.set(name, p)
    p.catch(() => { impls.delete(name) })
  }
  return await p
}
