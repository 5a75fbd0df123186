/**
 * `slim-mesh conformance [--vectors DIR]`: runs the IETF MLS test vectors that exercise
 * the crypto provider (src/mls/conformance.ts) on the node:crypto provider, prints one
 * line per vector file and a closing `N passed, N failed`, and exits 1 on any failure.
 */
import path from 'node:path'
import type { Command } from 'commander'
import { runConformance, vectorFileNames } from '../mls/conformance.js'
import type { ConformanceReport } from '../mls/conformance.js'

export interface ConformanceCommandOptions {
  /** Directory of the vector files; default $SLIM_MLS_VECTORS, or ../shared/mls-vectors from the working directory. */
  vectors?: string
  /** Where lines go (default stdout). */
  out?: (line: string) => void
  signal?: AbortSignal
}

export function defaultVectorsDir (env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.SLIM_MLS_VECTORS ?? path.resolve(cwd, '../shared/mls-vectors')
}

/** Runs the vectors and prints the report; resolves with the exit code (0 all passed, 1 otherwise). */
export async function runConformanceCommand (options: ConformanceCommandOptions = {}): Promise<{ code: number, report: ConformanceReport }> {
  const out = options.out ?? ((line: string) => { process.stdout.write(`${line}\n`) })
  const vectorsDir = options.vectors ?? defaultVectorsDir()
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
  out(`${report.passed} passed, ${report.failed} failed`)
  return { code: report.failed > 0 || report.passed === 0 ? 1 : 0, report }
}

export function registerConformanceCommand (program: Command): void {
  program.command('conformance')
    .description('check the node:crypto MLS provider against the IETF MLS test vectors')
    .option('--vectors <dir>', 'directory holding the vector files (default: $SLIM_MLS_VECTORS or ../shared/mls-vectors)')
    .action(async (opts: { vectors?: string }) => {
      const { code } = await runConformanceCommand({ vectors: opts.vectors })
      process.exitCode = code
    })
}
