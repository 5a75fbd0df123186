import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import type { CiphersuiteImpl, CryptoProvider } from 'ts-mls'
import { getCiphersuiteFromId } from 'ts-mls/crypto/ciphersuite.js'
import type { CiphersuiteId } from 'ts-mls/crypto/ciphersuite.js'
import { VectorFileError, VectorsNotFoundError } from './errors.js'
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
 * bit with other RFC 9420 implementations. The vector files it runs ship with the
 * package, gzip-compressed, in `vectors/mls/` (see vectors/mls/README.md for their
 * source and licence).
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

/**
 * The vectors folder of the package (`vectors/mls/` at its root) seen from the directory of
 * this module: src/mls under tsx or vitest, dist/src/mls once compiled (tsconfig rootDir
 * "." and outDir "dist"). Prefers the layout the path says, and the other one only if the
 * vectors are there instead.
 */
export function findBundledVectorsDir (moduleDir: string): string {
  const compiled = path.basename(path.resolve(moduleDir, '../..')) === 'dist'
  const layouts = [path.resolve(moduleDir, '../../vectors/mls'), path.resolve(moduleDir, '../../../vectors/mls')]
  if (compiled) layouts.reverse()
  return layouts.find(d => vectorFilePath(d, 'crypto-basics.json') !== undefined) ?? layouts[0] as string
}

/** The vectors shipped in the repository and the npm package, which `runConformance` runs by default. */
export const bundledVectorsDir: string = findBundledVectorsDir(path.dirname(fileURLToPath(import.meta.url)))

export interface ConformanceResult {
  file: string
  /** Index of the case in the file; -1 when the file itself could not be read (not a case: counted in `unreadable`). */
  index: number
  ok: boolean
  cipherSuite?: number
  /** The provider does not run this cipher suite: neither passed nor failed. */
  skipped?: boolean
  error?: string
}

export interface ConformanceReport {
  /** Cases that passed. */
  passed: number
  /** Cases that failed. */
  failed: number
  /** Cases in a cipher suite the provider does not run. */
  skipped: number
  /** Vector files that could not be read or parsed (their cases are in none of the counts above). */
  unreadable: number
  results: ConformanceResult[]
}

export interface ConformanceOptions {
  /** Directory of the vector files (`<name>.json` or `<name>.json.gz`); defaults to `bundledVectorsDir`. */
  vectorsDir?: string
  /** Provider under test; defaults to the node:crypto provider. */
  provider?: CryptoProvider
  /** A subset of the vector files; defaults to all of `vectorFileNames`. */
  files?: readonly VectorFileName[]
  signal?: AbortSignal
}

/** Where `file` (e.g. `crypto-basics.json`) is in `vectorsDir`: itself, else `<file>.gz`; undefined when neither exists. */
export function vectorFilePath (vectorsDir: string, file: string): string | undefined {
  for (const name of [file, `${file}.gz`]) {
    const where = path.join(vectorsDir, name)
    if (existsSync(where)) return where
  }
  return undefined
}

/** The cases in the bytes of a vector file read from `where`: gunzipped if it ends in `.gz`, then a JSON array of objects. */
export function decodeVectorFile (where: string, bytes: Uint8Array): VectorCase[] {
  let raw = bytes
  if (where.endsWith('.gz')) {
    try {
      raw = gunzipSync(bytes)
    } catch (cause) {
      throw new VectorFileError(`${where} is not gzip data`, { cause })
    }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'))
  } catch (cause) {
    throw new VectorFileError(`${where} is not JSON`, { cause })
  }
  if (!Array.isArray(parsed) || !parsed.every(c => typeof c === 'object' && c !== null && !Array.isArray(c))) {
    throw new VectorFileError(`${where} is not a JSON array of test cases`)
  }
  return parsed as VectorCase[]
}

/** Reads one vector file, `<file>` or `<file>.gz` in `vectorsDir`: a JSON array of cases. */
export async function loadVectorFile (vectorsDir: string, file: string): Promise<VectorCase[]> {
  const where = vectorFilePath(vectorsDir, file)
  if (where === undefined) {
    throw new VectorFileError(`cannot read test vectors: neither ${file} nor ${file}.gz is in ${vectorsDir}`)
  }
  let bytes: Uint8Array
  try {
    bytes = await readFile(where)
  } catch (cause) {
    throw new VectorFileError(`cannot read test vectors ${where}`, { cause })
  }
  return decodeVectorFile(where, bytes)
}

/**
 * Throws VectorsNotFoundError, its message one line naming the directory and the files it
 * should hold, when `vectorsDir` holds none of `files`: a wrong directory rather than
 * vectors that fail. A directory holding some of them passes (the rest count as unreadable).
 */
export function assertVectorsDir (vectorsDir: string, files: readonly string[] = vectorFileNames): void {
  if (files.some(f => vectorFilePath(vectorsDir, f) !== undefined)) return
  const first = files[0] ?? 'crypto-basics.json'
  const others = files.length > 1 ? ` and ${files.length - 1} more of test-vectors/ from github.com/mlswg/mls-implementations` : ''
  throw new VectorsNotFoundError(`no MLS test vectors in ${vectorsDir} (expected ${first} or ${first}.gz${others})`)
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

/**
 * Runs every case of the chosen vector files, one after another. Rejects with
 * VectorsNotFoundError when the directory holds none of them; a file that is missing
 * among others, or does not parse, is a result with index -1 and counts in `unreadable`.
 */
export async function runConformance (options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const provider = options.provider ?? nodeCryptoProvider
  const vectorsDir = options.vectorsDir ?? bundledVectorsDir
  const files = options.files ?? vectorFileNames
  assertVectorsDir(vectorsDir, files)
  const results: ConformanceResult[] = []
  for (const file of files) {
    options.signal?.throwIfAborted()
    let cases: VectorCase[]
    try {
      cases = await loadVectorFile(vectorsDir, file)
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
  let unreadable = 0
  for (const r of results) {
    if (r.index === -1) unreadable++
    else if (r.ok) passed++
    else if (r.skipped === true) skipped++
    else failed++
  }
  return { passed, failed, skipped, unreadable, results }
}
