import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { CiphersuiteImpl, CryptoProvider } from 'ts-mls'
import { getCiphersuiteFromId } from 'ts-mls/crypto/ciphersuite.js'
import type { CiphersuiteId } from 'ts-mls/crypto/ciphersuite.js'
import { VectorFileError } from './errors.js'
import { nodeCryptoProvider } from './node-crypto-provider.js'
import { num } from './vectors/check.js'
import type { VectorCase } from './vectors/check.js'
import { checkCryptoBasics } from './vectors/crypto-basics.js'
import { checkKeySchedule } from './vectors/key-schedule.js'
import { checkMessageProtection } from './vectors/message-protection.js'
import { checkPassiveClient } from './vectors/passive-client.js'
import { checkSecretTree } from './vectors/secret-tree.js'

/**
 * Runs the IETF MLS test vectors (github.com/mlswg/mls-implementations, test-vectors.md)
 * that exercise a crypto provider, through ts-mls's own key schedule, secret tree,
 * message protection and group processing, so a pass means the provider agrees bit for
 * bit with other RFC 9420 implementations.
 */

/** The vector files this runner knows, with the check each case goes through. */
export const vectorChecks = {
  'crypto-basics.json': checkCryptoBasics,
  'secret-tree.json': checkSecretTree,
  'key-schedule.json': checkKeySchedule,
  'message-protection.json': checkMessageProtection,
  'passive-client-welcome.json': checkPassiveClient,
  'passive-client-handling-commit.json': checkPassiveClient,
  'passive-client-random.json': checkPassiveClient
} satisfies Record<string, (v: VectorCase, cs: CiphersuiteImpl) => Promise<void>>

export type VectorFileName = keyof typeof vectorChecks

export const vectorFileNames = Object.keys(vectorChecks) as VectorFileName[]

export interface ConformanceResult {
  file: string
  /** Index of the case in the file; -1 when the file itself could not be read. */
  index: number
  ok: boolean
  cipherSuite?: number
  /** The provider does not run this cipher suite: neither passed nor failed. */
  skipped?: boolean
  error?: string
}

export interface ConformanceReport {
  passed: number
  failed: number
  skipped: number
  results: ConformanceResult[]
}

export interface ConformanceOptions {
  vectorsDir: string
  /** Provider under test; defaults to the node:crypto provider. */
  provider?: CryptoProvider
  /** A subset of the vector files; defaults to all of `vectorFileNames`. */
  files?: readonly VectorFileName[]
  signal?: AbortSignal
}

/** Reads one vector file: a JSON array of cases. */
export async function loadVectorFile (vectorsDir: string, file: string): Promise<VectorCase[]> {
  const where = path.join(vectorsDir, file)
  let text: string
  try {
    text = await readFile(where, 'utf8')
  } catch (cause) {
    throw new VectorFileError(`cannot read test vectors ${where}; pass the directory holding ${file}`, { cause })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new VectorFileError(`${where} is not JSON`, { cause })
  }
  if (!Array.isArray(parsed) || !parsed.every(c => typeof c === 'object' && c !== null && !Array.isArray(c))) {
    throw new VectorFileError(`${where} is not a JSON array of test cases`)
  }
  return parsed as VectorCase[]
}

function message (err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`
  return String(err)
}

/**
 * Runs one case of `file` on `provider`. Resolves with its result; never rejects for a
 * failed check (that is `ok: false` with the error), so callers can tabulate.
 */
export async function checkVectorCase (file: VectorFileName, index: number, v: VectorCase, provider: CryptoProvider = nodeCryptoProvider): Promise<ConformanceResult> {
  let id: number
  try {
    id = num(v, 'cipher_suite')
  } catch (err) {
    return { file, index, ok: false, error: message(err) }
  }
  // ts-mls types the lookup as total, but an id it does not know gives undefined.
  const suite = getCiphersuiteFromId(id as CiphersuiteId) as ReturnType<typeof getCiphersuiteFromId> | undefined
  if (suite === undefined) {
    return { file, index, ok: false, cipherSuite: id, skipped: true, error: `cipher suite ${id} is unknown to ts-mls` }
  }
  let cs: CiphersuiteImpl
  try {
    cs = await provider.getCiphersuiteImpl(suite)
  } catch (err) {
    return { file, index, ok: false, cipherSuite: id, skipped: true, error: `provider does not support ${suite.name}: ${message(err)}` }
  }
  try {
    await vectorChecks[file](v, cs)
    return { file, index, ok: true, cipherSuite: id }
  } catch (err) {
    return { file, index, ok: false, cipherSuite: id, error: message(err) }
  }
}

/** Runs every case of the chosen vector files, one after another. */
export async function runConformance (options: ConformanceOptions): Promise<ConformanceReport> {
  const provider = options.provider ?? nodeCryptoProvider
  const results: ConformanceResult[] = []
  for (const file of options.files ?? vectorFileNames) {
    options.signal?.throwIfAborted()
    let cases: VectorCase[]
    try {
      cases = await loadVectorFile(options.vectorsDir, file)
    } catch (err) {
      results.push({ file, index: -1, ok: false, error: message(err) })
      continue
    }
    for (const [index, v] of cases.entries()) {
      options.signal?.throwIfAborted()
      results.push(await checkVectorCase(file, index, v, provider))
    }
  }
  let passed = 0
  let failed = 0
  let skipped = 0
  for (const r of results) {
    if (r.ok) passed++
    else if (r.skipped === true) skipped++
    else failed++
  }
  return { passed, failed, skipped, results }
}
