import { describe, it, expect } from 'vitest'
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Command } from 'commander'
import { defaultVectorsDir, registerConformanceCommand, runConformanceCommand } from '../../src/cli/conformance.command.js'
import { vectorsDir } from '../mls/vectors-dir.js'

describe('slim-mesh conformance', () => {
  it('passes every vector it runs on the node:crypto provider: a line per file and a closing count', async () => {
    const lines: string[] = []
    const { code, report } = await runConformanceCommand({ vectors: vectorsDir, out: l => { lines.push(l) } })
    expect(code).toBe(0)
    expect(report.failed).toBe(0)
    expect(report.passed).toBeGreaterThan(50)
    expect(lines.filter(l => /^[a-z-]+\.json: \d+ passed, 0 failed/.test(l))).toHaveLength(7)
    expect(lines.at(-1)).toBe(`${report.passed} passed, 0 failed`)
  }, 120_000)

  it('reports failures and exits 1 when a vector does not match (or a file is missing)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vectors-'))
    try {
      const cases = JSON.parse(await readFile(path.join(vectorsDir, 'crypto-basics.json'), 'utf8')) as Array<{ ref_hash: { out: string } }>
      const first = cases[0]!
      first.ref_hash.out = first.ref_hash.out.replace(/^./, c => c === '0' ? '1' : '0')
      await writeFile(path.join(dir, 'crypto-basics.json'), JSON.stringify([first]))
      const lines: string[] = []
      const { code, report } = await runConformanceCommand({ vectors: dir, out: l => { lines.push(l) } })
      expect(code).toBe(1)
      expect(report.failed).toBeGreaterThanOrEqual(7) // the changed case, and six missing files
      expect(lines[0]).toMatch(/^crypto-basics\.json: 0 passed, 1 failed/)
      expect(lines.some(l => /^secret-tree\.json: FAILED/.test(l))).toBe(true)
      expect(lines.at(-1)).toBe(`0 passed, ${report.failed} failed`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('defaults to $SLIM_MLS_VECTORS, else ../shared/mls-vectors from the working directory, and registers on commander', () => {
    expect(defaultVectorsDir({ SLIM_MLS_VECTORS: '/x/v' }, '/w/main')).toBe('/x/v')
    expect(defaultVectorsDir({}, '/w/main')).toBe(path.resolve('/w/shared/mls-vectors'))
    const program = new Command()
    registerConformanceCommand(program)
    const cmd = program.commands.find(c => c.name() === 'conformance')
    expect(cmd?.options.map(o => o.long)).toEqual(['--vectors'])
  })
})
