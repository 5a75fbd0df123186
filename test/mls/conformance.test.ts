import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, expect } from 'vitest'
import type { CryptoProvider } from 'ts-mls'
import { checkVectorCase, runConformance } from '../../src/mls/conformance.js'
import { createNodeCryptoProvider } from '../../src/mls/node-crypto-provider.js'
import { loadCases, vectorsDir } from './vectors-dir.js'

const fastFiles = ['crypto-basics.json', 'secret-tree.json', 'key-schedule.json', 'message-protection.json'] as const

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
    const report = await runConformance({ vectorsDir, files: fastFiles })
    expect(report.results.filter(r => !r.ok)).toEqual([])
    expect(report).toMatchObject({ passed: expected, failed: 0, skipped: 0 })
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

  it('counts a vector file that cannot be read as a failure', async () => {
    const report = await runConformance({ vectorsDir: path.join(tmpdir(), 'no-such-slim-mls-vectors'), files: ['secret-tree.json'] })
    expect(report).toMatchObject({ passed: 0, failed: 1, skipped: 0 })
    expect(report.results[0]).toMatchObject({ file: 'secret-tree.json', index: -1, ok: false })
    expect(report.results[0]?.error).toMatch(/^VectorFileError: cannot read/)
  })

  it('stops when its signal is aborted', async () => {
    await expect(runConformance({ vectorsDir, signal: AbortSignal.abort() })).rejects.toThrow()
  })
})
