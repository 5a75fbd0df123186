/** Prints rows as aligned columns (what `ctl` shows without --json). */
export function printTable (head: string[], rows: unknown[][]): void {
  const cells = [head, ...rows.map(r => r.map(c => String(c ?? '-')))]
  const widths = head.map((_, i) => Math.max(...cells.map(r => (r[i] ?? '').length)))
  for (const r of cells) console.log(r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)).join('  ').trimEnd())
  if (rows.length === 0) console.log('(none)')
}
