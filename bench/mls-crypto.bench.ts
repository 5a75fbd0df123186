/**
 * Prints seal and open of a 1 KiB MLS message on the node:crypto provider, ts-mls's
 * default provider and bare node:crypto, measured in the same run.
 * Run: npx tsx bench/mls-crypto.bench.ts [iterations]
 */
import { measureSealOpen, median } from './mls-crypto.js'
import type { Timing } from './mls-crypto.js'

const r = await measureSealOpen(Number(process.argv[2] ?? 400))
const rows: Array<[string, Timing]> = [
  ['bare node:crypto (Ed25519 + AES-GCM)', r.floor],
  ['ts-mls + node:crypto provider', r.node],
  ['ts-mls + default provider', r.tsMlsDefault]
]
const floorTotal = median(r.floor.seal) + median(r.floor.open)
process.stdout.write(`${r.suite}, 1 KiB message, median of ${r.iterations}\n`)
process.stdout.write(`${'stack'.padEnd(40)}${'seal ms'.padStart(10)}${'open ms'.padStart(10)}${'total ms'.padStart(10)}${'x floor'.padStart(9)}\n`)
for (const [name, t] of rows) {
  const s = median(t.seal)
  const o = median(t.open)
  process.stdout.write(`${name.padEnd(40)}${s.toFixed(3).padStart(10)}${o.toFixed(3).padStart(10)}${(s + o).toFixed(3).padStart(10)}${((s + o) / floorTotal).toFixed(1).padStart(9)}\n`)
}
