/**
 * `slim-mesh conformance [--vectors DIR]`: runs the IETF MLS test vectors that exercise
 * the crypto provider (src/mls/conformance.ts) on the node:crypto provider, prints one
 * line per vector file and a closing `N passed, N failed` that counts vector cases, and
 * exits 1 on any failure. By default it runs the vectors shipped in vectors/mls/.
 */
import type { Command } from 'commander'
import { assertVectorsDir, bundledVectorsDir, runConformance, vectorFileNames } from '../mls/conformance.js'
import type { ConformanceReport } from '../mls/conformance.js'
import { VectorsNotFoundError } from '../mls/errors.js'

export interface ConformanceCommandOptions {
  /** Directory of the vector files (`<name>.json` or `<name>.json.gz`); default `defaultVectorsDir()`. */
  vectors?: string
  /** Where lines go (default stdout). */
  out?: (line: string) => void
  signal?: AbortSignal
}

/** $SLIM_MLS_VECTORS when set, else the vectors shipped with slim-mesh (vectors/mls/). */
export function defaultVectorsDir (env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.SLIM_MLS_VECTORS
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : bundledVectorsDir
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`

/**
 * Runs the vectors and prints the report; resolves with the exit code (0 all passed, 1
 * otherwise). Rejects with VectorsNotFoundError, whose message is one line saying what is
 * wrong and what to pass instead, when the directory holds no vector files.
 */
export async function runConformanceCommand (options: ConformanceCommandOptions = {}): Promise<{ code: number, report: ConformanceReport }> {
  const out = options.out ?? ((line: string) => { process.stdout.write(`${line}\n`) })
  const vectorsDir = options.vectors ?? defaultVectorsDir()
  try {
    assertVectorsDir(vectorsDir)
  } catch (err) {
    if (!(err instanceof VectorsNotFoundError)) throw err
    const fix = vectorsDir === bundledVectorsDir
      ? 'the vectors shipped with slim-mesh are missing: reinstall it, or pass --vectors DIR naming a folder that holds them'
      : options.vectors === undefined
        ? `set SLIM_MLS_VECTORS to a folder that holds them, or unset it to run the ones shipped in ${bundledVectorsDir}`
        : `pass --vectors DIR naming a folder that holds them, or leave --vectors out to run the ones shipped in ${bundledVectorsDir}`
    throw new VectorsNotFoundError(`${err.message}; ${fix}`, { cause: err })
  }
  const report = await runConformance({ vectorsDir, signal: options.signal })
  for (const file of vectorFileNames) {
    const rs = report.results.filter(r => r.file === file)
    const unreadable = rs.find(r => r.index === -1)
    if (unreadable != null) { out(`${file}: FAILED ${unreadable.error ?? 'cannot be read'}`); continue }
    const passed = rs.filter(r => r.ok).length
    const skipped = rs.filter(r => !r.ok && r.skipped === true).length
    const failed = rs.length - passed - skipped
    out(`${file}: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped (cipher suite not run)` : ''}`)
    for (const r of rs) if (!r.ok && r.skipped !== true) out(`  case ${r.index} (suite ${r.cipherSuite ?? '?'}): ${r.error ?? 'failed'}`)
  }
  const cases = report.passed + report.failed + report.skipped
  const read = vectorFileNames.length - report.unreadable
  out(`${report.passed} passed, ${report.failed} failed` +
    (report.skipped > 0 ? `, ${report.skipped} skipped` : '') +
    ` (${plural(cases, 'vector case')} in ${plural(read, 'file')}` +
    (report.unreadable > 0 ? `; ${plural(report.unreadable, 'file')} could not be read` : '') + ')')
  const code = report.failed > 0 || report.unreadable > 0 || report.passed === 0 ? 1 : 0
  return { code, report }
}

export function registerConformanceCommand (program: Command): void {
  program.command('conformance')
    .description('check the node:crypto MLS provider against the IETF MLS test vectors (shipped in vectors/mls/)')
    .option('--vectors <dir>', 'directory holding the vector files as <name>.json or <name>.json.gz (default: $SLIM_MLS_VECTORS, else the shipped vectors/mls/)')
    .action(async (opts: { vectors?: string }) => {
      const { code } = await runConformanceCommand({ vectors: opts.vectors })
      process.exitCode = code
    })
}
