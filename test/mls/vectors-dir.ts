import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where the IETF MLS test vectors live: $SLIM_MLS_VECTORS, or ../shared/mls-vectors next
 * to the repository. Read, never copied into the repository.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export const vectorsDir = process.env.SLIM_MLS_VECTORS ?? path.resolve(repoRoot, '../shared/mls-vectors')

/** The cases of one vector file, read synchronously so tests can be declared per case. A missing file fails the suite. */
export function loadCases (file: string): Array<Record<string, unknown>> {
  const parsed: unknown = JSON.parse(readFileSync(path.join(vectorsDir, file), 'utf8'))
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error(`${file} in ${vectorsDir} holds no test cases`)
  return parsed as Array<Record<string, unknown>>
}
