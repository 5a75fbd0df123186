import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { describe, it, expect } from 'vitest'
import type { CryptoProvider } from 'ts-mls'
import { bundledVectorsDir, checkVectorCase, findBundledVectorsDir, loadVectorFile, runConformance, vectorFileNames } from '../../src/mls/conformance.js'
import { createNodeCryptoProvider } from '../../src/mls/node-crypto-provider.js'
import { loadCases, vectorsDir } from './vectors-dir.js'

const fastFiles = ['crypto-basics.json', 'secret-tree.json', 'key-schedule.json', 'message-protection.json'] as const
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

async function withTempDir (fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slim-mls-vectors-'))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The node provider with one primitive's output corrupted: the vectors must notice. */
function corrupted (part: 'expand' | 'decryptAead'): CryptoProvider {
  const inner = createNodeCryptoProvider({ fallback: null })
  return {
    async getCiphersuiteImpl (cs) {
      const impl = await inner.getCiphersuiteImpl(cs)
      const flip = (b: Uint8Array): Uint8Array => { const c = b.slice(); c[0] = (c[0] ?? 0) ^ 1; return c }
      if (part === 'expand') {
        return { ...impl, kdf: { ...impl.kdf, expand: async (prk, info, len) => flip(await impl.kdf.expand(prk, info, len)) } }
      }
      return { ...impl, hpke: { ...impl.hpke, decryptAead: async (k, n, aad, ct) => flip(await impl.hpke.decryptAead(k, n, aad, ct)) } }
    }
  }
}

describe('runConformance', () => {
  it('passes every case of the crypto, secret-tree, key-schedule and message-protection vectors', async () => {
    const expected = fastFiles.reduce((n, f) => n + loadCases(f).length, 0)
    const report = await runConformance({ files: fastFiles }) // no vectorsDir: the ones in the repository
    expect(report.results.filter(r => !r.ok)).toEqual([])
    expect(report).toMatchObject({ passed: expected, failed: 0, skipped: 0, unreadable: 0 })
    expect(report.results).toHaveLength(expected)
  })

  it('fails a case whose expected output differs by one bit, naming the field', async () => {
    const v = structuredClone(loadCases('crypto-basics.json')[0]) as Record<string, Record<string, string>>
    const refHash = v.ref_hash as Record<string, string>
    const out = refHash.out as string
    refHash.out = (parseInt(out.slice(0, 2), 16) ^ 1).toString(16).padStart(2, '0') + out.slice(2)
    const result = await checkVectorCase('crypto-basics.json', 0, v)
    expect(result.ok).toBe(false)
    expect(result.error).toMatch(/^VectorMismatchError: ref_hash\.out/)
  })

  it('fails the key schedule and crypto basics when HKDF-Expand is off by one bit', async () => {
    const report = await runConformance({ vectorsDir, files: ['crypto-basics.json', 'key-schedule.json'], provider: corrupted('expand') })
    expect(report.passed).toBe(0)
    expect(report.failed).toBe(report.results.length)
  })

  it('fails message protection when AEAD decryption returns wrong bytes', async () => {
    const report = await runConformance({ vectorsDir, files: ['message-protection.json'], provider: corrupted('decryptAead') })
    expect(report.passed).toBe(0)
    expect(report.failed).toBe(report.results.length)
  })

  it('reports a cipher suite the provider cannot run as skipped, not passed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slim-mls-vectors-'))
    try {
      const real = loadCases('crypto-basics.json')[0]
      // Suite 83 (X-Wing) needs the fallback provider, which this one lacks; 0xfff0 is unknown to ts-mls.
      await writeFile(path.join(dir, 'crypto-basics.json'), JSON.stringify([real, { cipher_suite: 83 }, { cipher_suite: 0xfff0 }]))
      const report = await runConformance({ vectorsDir: dir, files: ['crypto-basics.json'], provider: createNodeCryptoProvider({ fallback: null }) })
      expect(report).toMatchObject({ passed: 1, failed: 0, skipped: 2 })
      expect(report.results[1]).toMatchObject({ ok: false, skipped: true, cipherSuite: 83 })
      expect(report.results[1]?.error).toMatch(/UnsupportedCipherSuiteError/)
      expect(report.results[2]).toMatchObject({ ok: false, skipped: true, cipherSuite: 0xfff0 })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('counts a vector file missing beside others as unreadable, not as a failed case', async () => {
    await withTempDir(async dir => {
      await copyFile(path.join(bundledVectorsDir, 'crypto-basics.json.gz'), path.join(dir, 'crypto-basics.json.gz'))
      const report = await runConformance({ vectorsDir: dir, files: ['crypto-basics.json', 'secret-tree.json'] })
      expect(report).toMatchObject({ passed: 7, failed: 0, skipped: 0, unreadable: 1 })
      expect(report.results.at(-1)).toMatchObject({ file: 'secret-tree.json', index: -1, ok: false })
      expect(report.results.at(-1)?.error).toBe(`VectorFileError: cannot read test vectors: neither secret-tree.json nor secret-tree.json.gz is in ${dir}`)
    })
  })

  it('rejects a directory that holds none of the vector files with one line naming it and the files expected', async () => {
    const dir = path.join(tmpdir(), 'no-such-slim-mls-vectors')
    const err = await runConformance({ vectorsDir: dir, files: ['secret-tree.json', 'key-schedule.json'] }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'VectorsNotFoundError' })
    expect((err as Error).message).toBe(`no MLS test vectors in ${dir} (expected secret-tree.json or secret-tree.json.gz and 1 more of test-vectors/ from github.com/mlswg/mls-implementations)`)
  })

  it('stops when its signal is aborted', async () => {
    await expect(runConformance({ vectorsDir, signal: AbortSignal.abort() })).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }))
  })
})

describe('the vector files in the repository', () => {
  it('are vectors/mls/ of the repository, found from src/mls and from the compiled dist/src/mls alike', () => {
    const inRepo = path.join(repoRoot, 'vectors', 'mls')
    expect(bundledVectorsDir).toBe(inRepo)
    expect(vectorsDir).toBe(inRepo)
    expect(findBundledVectorsDir(path.join(repoRoot, 'src', 'mls'))).toBe(inRepo)
    expect(findBundledVectorsDir(path.join(repoRoot, 'dist', 'src', 'mls'))).toBe(inRepo)
  })

  it('hold each file the runner knows, gzip-compressed, with 190 cases in all (the copies of mlswg/mls-implementations test-vectors/)', async () => {
    const names = (await readdir(bundledVectorsDir)).sort()
    expect(names).toEqual([...vectorFileNames.map(f => `${f}.gz`), 'README.md', 'messages.json.gz'].sort())
    const counts = Object.fromEntries(vectorFileNames.map(f => [f, loadCases(f).length]))
    expect(counts).toEqual({
      'crypto-basics.json': 7,
      'secret-tree.json': 21,
      'key-schedule.json': 7,
      'message-protection.json': 7,
      'passive-client-welcome.json': 56,
      'passive-client-handling-commit.json': 91,
      'passive-client-random.json': 1
    })
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(190)
    const readme = readFileSync(path.join(bundledVectorsDir, 'README.md'), 'utf8')
    expect(readme).toContain('github.com/mlswg/mls-implementations')
    for (const f of [...vectorFileNames, 'messages.json']) expect(readme).toContain(f)
  })

  it('load alike as <name>.json and as <name>.json.gz, the plain file first when both are there', async () => {
    await withTempDir(async dir => {
      const gz = path.join(bundledVectorsDir, 'crypto-basics.json.gz')
      const plain = gunzipSync(readFileSync(gz))
      await writeFile(path.join(dir, 'crypto-basics.json'), plain)
      await copyFile(path.join(bundledVectorsDir, 'secret-tree.json.gz'), path.join(dir, 'secret-tree.json.gz'))
      const fromPlain = await loadVectorFile(dir, 'crypto-basics.json')
      const fromGz = await loadVectorFile(bundledVectorsDir, 'crypto-basics.json')
      expect(fromPlain).toHaveLength(7)
      expect(fromPlain).toEqual(fromGz)
      expect(fromPlain).toEqual(JSON.parse(plain.toString('utf8')))
      const report = await runConformance({ vectorsDir: dir, files: ['crypto-basics.json', 'secret-tree.json'] })
      expect(report).toMatchObject({ passed: 28, failed: 0, skipped: 0, unreadable: 0 })

      await writeFile(path.join(dir, 'crypto-basics.json'), JSON.stringify([fromPlain[0]]))
      await copyFile(gz, path.join(dir, 'crypto-basics.json.gz'))
      expect(await loadVectorFile(dir, 'crypto-basics.json')).toHaveLength(1)
    })
  })

  it('refuses a .json.gz that is not gzip, and a .json that is not an array of cases, as VectorFileError', async () => {
    await withTempDir(async dir => {
      await writeFile(path.join(dir, 'crypto-basics.json.gz'), '[{"cipher_suite": 1}]')
      await writeFile(path.join(dir, 'secret-tree.json'), '{"cipher_suite": 1}')
      await expect(loadVectorFile(dir, 'crypto-basics.json')).rejects.toThrow(expect.objectContaining({ name: 'VectorFileError', message: `${path.join(dir, 'crypto-basics.json.gz')} is not gzip data` }))
      await expect(loadVectorFile(dir, 'secret-tree.json')).rejects.toThrow(expect.objectContaining({ name: 'VectorFileError', message: `${path.join(dir, 'secret-tree.json')} is not a JSON array of test cases` }))
    })
  })
})
