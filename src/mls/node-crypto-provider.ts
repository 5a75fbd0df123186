import { randomFillSync } from 'node:crypto'
import { defaultCryptoProvider } from 'ts-mls'
import type { Ciphersuite, CiphersuiteImpl, CryptoProvider, Hpke, Rng, Signature } from 'ts-mls'
import { isNodeKem } from './dhkem.js'
import { UnsupportedCipherSuiteError } from './errors.js'
import { makeNodeAead } from './node-aead.js'
import type { NodeAead } from './node-aead.js'
import { makeNodeHash, makeNodeKdf } from './node-hash.js'
import { makeNodeHpke } from './node-hpke.js'
import { isNodeSignatureAlgorithm, makeNodeSignature, makeSignatureKeyCaches } from './node-signature.js'
import type { NodeSignatureAlgorithm, SignatureKeyCaches } from './node-signature.js'

/**
 * A ts-mls `CryptoProvider` on node:crypto that keeps its keys.
 *
 * ts-mls's default provider goes through WebCrypto and imports the raw key on every call
 * (HMAC, AES-GCM, Ed25519), which dominates the cost of sealing and opening a message
 * (RFC 9420 section 6.3: one signature, two AEAD operations, a few HKDF expansions). Here
 * hashing, HMAC, HKDF and AEAD call node:crypto directly with raw keys (node needs no
 * import for those), and signature keys are imported once into KeyObjects kept in bounded
 * caches shared by all cipher suites of the provider.
 *
 * What node:crypto cannot run in Node 20 (the ML-KEM and X-Wing KEMs, ML-DSA-87) comes
 * from the fallback provider, piece by piece; the AEAD used on messages stays on node even
 * then.
 */

export interface NodeCryptoProviderInit {
  /**
   * Provider for the pieces node:crypto cannot run. Defaults to ts-mls's
   * `defaultCryptoProvider`; `null` makes those cipher suites fail with
   * UnsupportedCipherSuiteError instead.
   */
  fallback?: CryptoProvider | null
  /** Most signature KeyObjects kept by content per algorithm and kind (private, public). Default 1024. */
  keyCacheSize?: number
}

/** Where each piece of a cipher suite runs. */
export type Engine = 'node:crypto' | 'fallback'

export interface SuiteCoverage {
  hash: Engine
  kdf: Engine
  aead: Engine
  signature: Engine
  kem: Engine
}

export interface NodeCryptoProvider extends CryptoProvider {
  /** Where each piece of `cs` runs, or undefined if this provider cannot run `cs` at all. */
  coverage: (cs: Ciphersuite) => SuiteCoverage | undefined
  /** Drops every cached signature KeyObject (e.g. after rotating keys). */
  clearKeyCache: () => void
}

const DEFAULT_KEY_CACHE_SIZE = 1024

const nodeRng: Rng = {
  randomBytes (n) {
    return randomFillSync(new Uint8Array(n))
  }
}

/** The fallback's HPKE, with the AEAD calls (used for every MLS message) on node:crypto. */
function withNodeAead (hpke: Hpke, aead: NodeAead): Hpke {
  const empty = new Uint8Array(0)
  return {
    open: async (...a) => await hpke.open(...a),
    seal: async (...a) => await hpke.seal(...a),
    importPrivateKey: async (k) => await hpke.importPrivateKey(k),
    importPublicKey: async (k) => await hpke.importPublicKey(k),
    exportPublicKey: async (k) => await hpke.exportPublicKey(k),
    exportPrivateKey: async (k) => await hpke.exportPrivateKey(k),
    exportSecret: async (...a) => await hpke.exportSecret(...a),
    importSecret: async (...a) => await hpke.importSecret(...a),
    deriveKeyPair: async (ikm) => await hpke.deriveKeyPair(ikm),
    generateKeyPair: async () => await hpke.generateKeyPair(),
    encryptAead: async (key, nonce, aad, pt) => aead.seal(key, nonce, aad ?? empty, pt),
    decryptAead: async (key, nonce, aad, ct) => aead.open(key, nonce, aad ?? empty, ct),
    keyLength: aead.keyLength,
    nonceLength: aead.nonceLength
  }
}

export function createNodeCryptoProvider (init: NodeCryptoProviderInit = {}): NodeCryptoProvider {
  const fallback = init.fallback === undefined ? defaultCryptoProvider : init.fallback
  const size = init.keyCacheSize ?? DEFAULT_KEY_CACHE_SIZE
  const caches = new Map<NodeSignatureAlgorithm, SignatureKeyCaches>()
  function cachesFor (algorithm: NodeSignatureAlgorithm): SignatureKeyCaches {
    let c = caches.get(algorithm)
    if (c === undefined) {
      c = makeSignatureKeyCaches(algorithm, size)
      caches.set(algorithm, c)
    }
    return c
  }
  // One impl per suite: building it is cheap but callers may ask per operation.
  const impls = new Map<string, Promise<CiphersuiteImpl>>()

  function coverage (cs: Ciphersuite): SuiteCoverage | undefined {
    const kem: Engine = isNodeKem(cs.hpke.kem) ? 'node:crypto' : 'fallback'
    const signature: Engine = isNodeSignatureAlgorithm(cs.signature) ? 'node:crypto' : 'fallback'
    if (fallback === null && (kem === 'fallback' || signature === 'fallback')) return undefined
    return { hash: 'node:crypto', kdf: 'node:crypto', aead: 'node:crypto', signature, kem }
  }

  async function build (cs: Ciphersuite): Promise<CiphersuiteImpl> {
    const cover = coverage(cs)
    if (cover === undefined) {
      throw new UnsupportedCipherSuiteError(`cipher suite ${cs.name} needs ${cs.hpke.kem} / ${cs.signature}, which node:crypto cannot run, and this provider has no fallback`)
    }
    const aead = makeNodeAead(cs.hpke.aead)
    let fallbackImpl: CiphersuiteImpl | undefined
    if (fallback !== null && (cover.kem === 'fallback' || cover.signature === 'fallback')) {
      try {
        fallbackImpl = await fallback.getCiphersuiteImpl(cs)
      } catch (cause) {
        throw new UnsupportedCipherSuiteError(`cipher suite ${cs.name}: the fallback provider cannot run ${cs.hpke.kem} / ${cs.signature}`, { cause })
      }
    }
    const kem = cs.hpke.kem
    const hpke: Hpke = isNodeKem(kem)
      ? makeNodeHpke({ ...cs.hpke, kem }, aead)
      : withNodeAead(required(fallbackImpl, cs).hpke, aead)
    const signature: Signature = isNodeSignatureAlgorithm(cs.signature)
      ? makeNodeSignature(cs.signature, cachesFor(cs.signature))
      : required(fallbackImpl, cs).signature
    return {
      // ts-mls derives the MLS KDF from the HPKE KDF of the suite; doing the same keeps the
      // two providers interoperable on every suite (RFC 9420 section 5.1 pairs them anyway).
      kdf: makeNodeKdf(cs.hpke.kdf),
      hash: makeNodeHash(cs.hash),
      signature,
      hpke,
      rng: nodeRng,
      name: cs.name
    }
  }

  return {
    async getCiphersuiteImpl (cs) {
      let impl = impls.get(cs.name)
      if (impl === undefined) {
        impl = build(cs)
        impls.set(cs.name, impl)
        // A failed build is not kept, so a later call (e.g. after installing a peer) retries.
        impl.catch(() => impls.delete(cs.name))
      }
      return await impl
    },
    coverage,
    clearKeyCache () {
      for (const c of caches.values()) {
        c.privateKeys.clear()
        c.publicKeys.clear()
      }
    }
  }
}

function required (impl: CiphersuiteImpl | undefined, cs: Ciphersuite): CiphersuiteImpl {
  if (impl === undefined) throw new UnsupportedCipherSuiteError(`cipher suite ${cs.name} has no fallback implementation loaded`)
  return impl
}

/** A shared provider with the default settings, like ts-mls's `defaultCryptoProvider`. */
export const nodeCryptoProvider: NodeCryptoProvider = createNodeCryptoProvider()
