import { readFileSync } from 'node:fs'
import { bundledVectorsDir, decodeVectorFile, vectorFilePath } from '../../src/mls/conformance.js'

/**
 * The IETF MLS test vectors the tests read: the copies in the repository's vectors/mls/
 * (see vectors/mls/README.md), `<name>.json.gz` or `<name>.json`. Tests use these and
 * only these, so a fresh clone runs them with nothing beside it.
 */
export const vectorsDir = bundledVectorsDir

// Missing vectors fail the MLS tests (never skip them), with a message that says how to fix it.
if (vectorFilePath(vectorsDir, 'crypto-basics.json') === undefined) {
  throw new Error(`the IETF MLS test vectors are not in ${vectorsDir}: vectors/mls/ of this repository should hold crypto-basics.json.gz and the others (see vectors/mls/README.md)`)
}

/** The cases of one vector file, read synchronously so tests can be declared per case. A missing or empty file fails the suite. */
export function loadCases (file: string): Array<Record<string, unknown>> {
  const where = vectorFilePath(vectorsDir, file)
  if (where === undefined) throw new Error(`neither ${file} nor ${file}.gz is in ${vectorsDir}`)
  const cases = decodeVectorFile(where, readFileSync(where))
  if (cases.length === 0) throw new Error(`${where} holds no test cases`)
  return cases
}
