import { describe, it, expect } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Command } from 'commander'
import { defaultVectorsDir, registerConformanceCommand, runConformanceCommand } from '../../src/cli/conformance.command.js'
import { bundledVectorsDir } from '../../src/mls/conformance.js'
import { loadCases } from '../mls/vectors-dir.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const bin = path.join(root, 'src', 'cli', 'bin.ts')
// tsx by its own file URL, so the CLI can run from any working directory.
const tsx = import.meta.resolve('tsx')
const run = promisify(execFile)

/** `slim-mesh conformance ...args` as a user runs it, from `cwd`, without SLIM_MLS_VECTORS: exit code and output lines. */
async function cli (cwd: string, ...args: string[]): Promise<{ code: number, out: string[], err: string[] }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  delete env.SLIM_MLS_VECTORS
  const lines = (s: string): string[] => s.split('\n').filter(l => l !== '')
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', tsx, bin, 'conformance', ...args], { cwd, env, timeout: 110_000 })
    return { code: 0, out: lines(stdout), err: lines(stderr) }
  } catch (e) {
    const f = e as { code?: unknown, signal?: unknown, stdout?: string, stderr?: string }
    if (typeof f.code !== 'number') throw new Error(`slim-mesh conformance did not exit (signal ${String(f.signal)}); its output so far:\n${f.stdout ?? ''}${f.stderr ?? ''}`, { cause: e })
    return { code: f.code, out: lines(f.stdout ?? ''), err: lines(f.stderr ?? '') }
  }
}

describe('slim-mesh conformance', () => {
  it('with no --vectors, from any directory, runs the vectors in the repository: every case passes and the closing line counts cases', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'slim-conformance-cwd-'))
    try {
      const { code, out, err } = await cli(cwd)
      expect(err).toEqual([])
      expect(out).toEqual([
        'crypto-basics.json: 7 passed, 0 failed',
        'secret-tree.json: 21 passed, 0 failed',
        'key-schedule.json: 7 passed, 0 failed',
        'message-protection.json: 7 passed, 0 failed',
        'passive-client-welcome.json: 56 passed, 0 failed',
        'passive-client-handling-commit.json: 91 passed, 0 failed',
        'passive-client-random.json: 1 passed, 0 failed',
        '190 passed, 0 failed (190 vector cases in 7 files)'
      ])
      expect(code).toBe(0)
    } finally {
      await rm(cwd, { recursive: true, force: true })
    }
  }, 120_000)

  it('--vectors naming a folder without vectors prints one line saying so and what to pass, and exits 1', async () => {
    const missing = path.join(tmpdir(), 'no-such-slim-mls-vectors')
    const { code, out, err } = await cli(root, '--vectors', missing)
    expect(code).toBe(1)
    expect(out).toEqual([])
    expect(err).toEqual([
      `slim-mesh: no MLS test vectors in ${missing} (expected crypto-basics.json or crypto-basics.json.gz and 6 more of test-vectors/ from github.com/mlswg/mls-implementations); ` +
      `pass --vectors DIR naming a folder that holds them, or leave --vectors out to run the ones shipped in ${bundledVectorsDir}`
    ])
  }, 60_000)

  it('reports failures by case and exits 1 when a vector does not match, and names the files it could not read', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vectors-'))
    try {
      const first = structuredClone(loadCases('crypto-basics.json')[0]) as { ref_hash: { out: string } }
      first.ref_hash.out = first.ref_hash.out.replace(/^./, c => c === '0' ? '1' : '0')
      const second = loadCases('crypto-basics.json')[1]
      await writeFile(path.join(dir, 'crypto-basics.json'), JSON.stringify([first, second]))
      const lines: string[] = []
      const { code, report } = await runConformanceCommand({ vectors: dir, out: l => { lines.push(l) } })
      expect(code).toBe(1)
      expect(report).toMatchObject({ passed: 1, failed: 1, skipped: 0, unreadable: 6 })
      expect(lines[0]).toBe('crypto-basics.json: 1 passed, 1 failed')
      expect(lines[1]).toMatch(/^ {2}case 0 \(suite 1\): VectorMismatchError: ref_hash\.out/)
      expect(lines[2]).toBe(`secret-tree.json: FAILED VectorFileError: cannot read test vectors: neither secret-tree.json nor secret-tree.json.gz is in ${dir}`)
      expect(lines.at(-1)).toBe('1 passed, 1 failed (2 vector cases in 1 file; 6 files could not be read)')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('rejects a folder without vectors before running anything, and says how to fix $SLIM_MLS_VECTORS when that named it', async () => {
    const missing = path.join(tmpdir(), 'no-such-slim-mls-vectors')
    const lines: string[] = []
    await expect(runConformanceCommand({ vectors: missing, out: l => { lines.push(l) } })).rejects.toThrow(expect.objectContaining({ name: 'VectorsNotFoundError' }))
    const saved = process.env.SLIM_MLS_VECTORS
    process.env.SLIM_MLS_VECTORS = missing
    try {
      await expect(runConformanceCommand({ out: l => { lines.push(l) } })).rejects.toThrow(/; set SLIM_MLS_VECTORS to a folder that holds them, or unset it to run the ones shipped in /)
    } finally {
      if (saved === undefined) delete process.env.SLIM_MLS_VECTORS
      else process.env.SLIM_MLS_VECTORS = saved
    }
    expect(lines).toEqual([])
  })

  it('defaults to $SLIM_MLS_VECTORS, else the vectors in the repository (not the working directory), and registers on commander', () => {
    expect(defaultVectorsDir({ SLIM_MLS_VECTORS: '/x/v' })).toBe('/x/v')
    expect(defaultVectorsDir({})).toBe(path.join(root, 'vectors', 'mls'))
    expect(defaultVectorsDir({ SLIM_MLS_VECTORS: '' })).toBe(path.join(root, 'vectors', 'mls'))
    const program = new Command()
    registerConformanceCommand(program)
    const cmd = program.commands.find(c => c.name() === 'conformance')
    expect(cmd?.options.map(o => o.long)).toEqual(['--vectors'])
  })
})
