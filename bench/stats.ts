/** Small statistics and timing helpers for the benchmarks. */
export function percentile (xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number
}

export const p50 = (xs: number[]): number => percentile(xs, 50)

/** Microseconds since `start` (from process.hrtime.bigint()). */
export function usSince (start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e3
}

export function payload (bytes = 1024): Uint8Array {
  const b = new Uint8Array(bytes)
  for (let i = 0; i < bytes; i++) b[i] = i & 0xff
  return b
}

/** A free TCP port on 127.0.0.1 (for servers that need one named). */
export async function freePort (): Promise<number> {
  const { createServer } = await import('node:net')
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => { resolve(port) })
    })
  })
}

/** Resolves when `cond` holds, polling; rejects after `ms`. */
export async function until (cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`benchmark timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 2))
  }
}
