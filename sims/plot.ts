/**
 * An SVG of a run, written by hand (no browser, no dependency): multicast latency over
 * time (p50 and p99 per time bucket, log scale) above, deliveries per bucket and the
 * cumulative delivery ratio below, with the fault's window shaded in both.
 */
import type { Metrics } from './metrics.js'

const W = 900
const PANEL = 220
const M = { left: 70, right: 60, top: 40, gap: 60, bottom: 40 }

export function plotSvg (m: Metrics): string {
  const s = m.series
  const n = s.t.length
  const tMax = Math.max(s.bucketMs, (s.t[n - 1] ?? 0) + s.bucketMs)
  const x = (t: number): number => M.left + (t / tMax) * (W - M.left - M.right)
  const top1 = M.top
  const top2 = M.top + PANEL + M.gap
  const H = top2 + PANEL + M.bottom
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`)
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`)
  out.push(text(M.left, 18, `${esc(m.topology)} · ${m.relays} relays · ${m.agents} agents · ${m.engine} engine · seed ${esc(m.seed)}${m.fault != null ? ` · fault: ${esc(m.fault.kind)}` : ''}`, 13, 'start', 'bold'))

  // Fault window (traffic time is the series' time base).
  if (m.fault != null && m.fault.endMs > m.fault.startMs) {
    for (const top of [top1, top2]) {
      out.push(`<rect x="${f(x(m.fault.startMs))}" y="${top}" width="${f(x(m.fault.endMs) - x(m.fault.startMs))}" height="${PANEL}" fill="#fbe3e3"/>`)
    }
    out.push(text(x(m.fault.startMs) + 4, top1 + 12, m.fault.kind, 10, 'start', 'normal', '#b33'))
  }

  // Latency, log scale.
  const lat = [...s.p50, ...s.p99].filter(v => v > 0)
  const lo = Math.max(0.1, Math.min(...lat, 1))
  const hi = Math.max(lo * 10, ...lat)
  const ly = (v: number): number => top1 + PANEL - (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * PANEL
  axes(out, top1, x, tMax)
  for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++) {
    const v = 10 ** d
    if (v < lo || v > hi) continue
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(ly(v))}" y2="${f(ly(v))}" stroke="#eee"/>`)
    out.push(text(M.left - 6, ly(v) + 4, `${v} ms`, 10, 'end'))
  }
  out.push(polyline(s.t.map((t, i) => [x(t + s.bucketMs / 2), s.p99[i] ?? 0] as const).filter(([, v]) => v > 0).map(([px, v]) => [px, ly(v)]), '#d62728'))
  out.push(polyline(s.t.map((t, i) => [x(t + s.bucketMs / 2), s.p50[i] ?? 0] as const).filter(([, v]) => v > 0).map(([px, v]) => [px, ly(v)]), '#1f77b4'))
  out.push(text(M.left, top1 - 6, 'multicast latency per bucket:', 11, 'start', 'bold'))
  out.push(text(M.left + 195, top1 - 6, 'p50', 11, 'start', 'bold', '#1f77b4'))
  out.push(text(M.left + 225, top1 - 6, 'p99', 11, 'start', 'bold', '#d62728'))

  // Deliveries per bucket and the cumulative ratio.
  const dMax = Math.max(1, ...s.delivered)
  const dy = (v: number): number => top2 + PANEL - (v / dMax) * PANEL
  const ry = (v: number): number => top2 + PANEL - v * PANEL
  axes(out, top2, x, tMax)
  const bw = Math.max(1, x(s.bucketMs) - x(0) - 1)
  s.t.forEach((t, i) => {
    const v = s.delivered[i] ?? 0
    if (v > 0) out.push(`<rect x="${f(x(t))}" y="${f(dy(v))}" width="${f(bw)}" height="${f(top2 + PANEL - dy(v))}" fill="#9ecae1"/>`)
  })
  out.push(polyline(s.t.map((t, i) => [x(t + s.bucketMs), ry(s.cumulativeRatio[i] ?? 0)]), '#2ca02c'))
  for (const v of [0, 0.5, 1]) out.push(text(W - M.right + 6, ry(v) + 4, String(v), 10, 'start', 'normal', '#2ca02c'))
  out.push(text(M.left - 6, dy(dMax) + 4, String(dMax), 10, 'end'))
  out.push(text(M.left - 6, top2 + PANEL + 4, '0', 10, 'end'))
  out.push(text(M.left, top2 - 6, `deliveries per ${s.bucketMs} ms`, 11, 'start', 'bold', '#3182bd'))
  out.push(text(M.left + 190, top2 - 6, `cumulative delivery ratio (final ${m.deliveryRatio})`, 11, 'start', 'bold', '#2ca02c'))
  out.push(text((M.left + W - M.right) / 2, H - 8, 'time since traffic started (ms)', 11, 'middle'))
  out.push('</svg>')
  return out.join('\n') + '\n'
}

function axes (out: string[], top: number, x: (t: number) => number, tMax: number): void {
  out.push(`<rect x="${M.left}" y="${top}" width="${W - M.left - M.right}" height="${PANEL}" fill="none" stroke="#999"/>`)
  const step = niceStep(tMax / 8)
  for (let t = 0; t <= tMax; t += step) {
    out.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${top + PANEL}" y2="${top + PANEL + 4}" stroke="#999"/>`)
    out.push(text(x(t), top + PANEL + 15, String(t), 10, 'middle'))
  }
}

function niceStep (raw: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1)))
  for (const k of [1, 2, 5, 10]) if (k * p >= raw) return k * p
  return 10 * p
}

function polyline (points: Array<readonly [number, number]>, color: string): string {
  if (points.length === 0) return ''
  return `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points.map(([a, b]) => `${f(a)},${f(b)}`).join(' ')}"/>`
}

function text (x: number, y: number, s: string, size: number, anchor: string, weight = 'normal', fill = '#333'): string {
  return `<text x="${f(x)}" y="${f(y)}" font-size="${size}" text-anchor="${anchor}" font-weight="${weight}" fill="${fill}">${s}</text>`
}

function esc (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function f (v: number): string { return (Math.round(v * 10) / 10).toString() }
