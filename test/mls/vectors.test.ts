import { describe, it, expect } from 'vitest'
import { checkVectorCase, vectorFileNames } from '../../src/mls/conformance.js'
import { createNodeCryptoProvider } from '../../src/mls/node-crypto-provider.js'
import { loadCases } from './vectors-dir.js'

// Every case of every vector set the runner knows, on the node:crypto provider. A case
// fails if any computed value differs from the vector, and also if the provider does not
// run its cipher suite (skipped is not passed): the files hold suites 1-7 only, all of
// which this provider runs on node:crypto.
const provider = createNodeCryptoProvider({ fallback: null })

for (const file of vectorFileNames) {
  describe(`IETF MLS vectors: ${file}`, () => {
    for (const [index, v] of loadCases(file).entries()) {
      it(`case ${index} (cipher suite ${String(v.cipher_suite)}) agrees with the vector on the node:crypto provider`, async () => {
        const result = await checkVectorCase(file, index, v, provider)
        expect(result.error).toBeUndefined()
        expect(result.skipped).toBeUndefined()
        expect(result.ok).toBe(true)
      }, 60_000)
    }
  })
}
