import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where the IETF MLS test vectors live: $SLIM_MLS_VECTORS, or ../shared/mls-vectors next
 * to the repository. Read, never copied into the repository.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export const vectorsDir = process.env.SLIM_MLS_VECTORS ?? path.resolve(repoRoot, '../shared/mls-vectors')

// Missing vectors fail the MLS tests (never skip them), with a message that says how to fix it.
if (!existsSync(path.join(vectorsDir, 'crypto-basics.json'))) {
  throw new Error(`the IETF MLS test vectors are not in ${vectorsDir}: put the mls-vectors folder at ../shared/mls-vectors beside this repository, or set SLIM_MLS_VECTORS to its path`)
}

/** The cases of one vector file, read synchronously so tests can be declared per case. A missing file fails the suite. */
export function loadCases (file: string): Array<Record<string, unknown>> {
  const parsed: unknown = JSON.parse(readFileSync(path.join(vectorsDir, file), 'utf8'))
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error(`${file} in ${vectorsDir} holds no test cases`)
  return parsed as Array<Record<string, unknown>>
}
