/** Reading a relay's `/metrics` as Prometheus would: real HTTP, a real text-format parser. */
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import type { ParsedFamily } from 'parse-prometheus-text-format'

export interface Scrape {
  families: Map<string, ParsedFamily>
  /** The value of `name` with exactly these labels among its own (undefined: no such series). */
  value: (name: string, labels?: Record<string, string>) => number | undefined
  /** Every series of `name`, with its labels. */
  series: (name: string) => Array<{ labels: Record<string, string>, value: number }>
}

export async function scrape (url: string): Promise<Scrape> {
  const res = await fetch(url)
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`)
  const type = res.headers.get('content-type') ?? ''
  if (!type.startsWith('text/plain') || !type.includes('version=0.0.4')) throw new Error(`GET ${url}: content-type ${type}, not the Prometheus text format`)
  const families = new Map(parsePrometheusTextFormat(await res.text()).map(f => [f.name, f]))
  const series = (name: string): Array<{ labels: Record<string, string>, value: number }> =>
    (families.get(name)?.metrics ?? []).map(m => ({ labels: m.labels ?? {}, value: Number(m.value) }))
  const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
    series(name).find(s => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
  return { families, value, series }
}
