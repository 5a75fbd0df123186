/**
 * MLS crypto for slim-mesh channels (RFC 9420 via ts-mls).
 *
 * Every channel is an MLS group; ts-mls runs the protocol and asks a `CryptoProvider`
 * for hashing, HKDF, AEAD, signatures and HPKE. This area supplies one on node:crypto
 * that keeps its keys (signature keys imported once, never per call), so sealing and
 * opening a message costs a few node:crypto calls instead of a WebCrypto import each,
 * and a conformance runner that checks any provider against the IETF test vectors.
 *
 * @example
 * ```ts
 * import { getCiphersuiteFromName, getCiphersuiteImpl } from 'ts-mls'
 * import { nodeCryptoProvider, runConformance } from './mls/index.js'
 *
 * const cs = await getCiphersuiteImpl(
 *   getCiphersuiteFromName('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'),
 *   nodeCryptoProvider)
 * // ...createGroup(groupId, keyPackage, privateKeys, [], cs) and so on.
 *
 * const report = await runConformance() // the vectors shipped in vectors/mls/
 * // report.passed, report.failed, report.results: one entry per vector case
 * ```
 */

// The provider
export { createNodeCryptoProvider, nodeCryptoProvider } from './node-crypto-provider.js'
export type { NodeCryptoProvider, NodeCryptoProviderInit, SuiteCoverage, Engine } from './node-crypto-provider.js'

// Conformance against the IETF MLS test vectors
export { runConformance, checkVectorCase, loadVectorFile, vectorFileNames } from './conformance.js'
export type { ConformanceOptions, ConformanceReport, ConformanceResult, VectorFileName } from './conformance.js'

// Decoding that fails one way (MalformedMlsMessageError)
export { decodeExactly, decodeMlsMessageExactly, decodeMlsMessageAs, decodeProtocolMessage } from './decode.js'

// Errors: callers branch on err.name
export {
  UnsupportedCipherSuiteError,
  MalformedMlsMessageError,
  MalformedKeyError,
  DecryptionFailedError,
  CryptoParameterError,
  VectorMismatchError,
  VectorFileError
} from './errors.js'
