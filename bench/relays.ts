/** Relay processes for the benchmarks: forked, linked, and asked for their event-loop delay. */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { until } from './stats.js'
import { relayTrustArg } from './mesh.js'

export interface RelayProcess { addr: string, peerId: string, child: ChildProcess }
export interface LoopDelay { p99: number, max: number, mean: number }

const here = fileURLToPath(import.meta.url)
const fromSource = here.endsWith('.ts')

export async function startRelay (bootstrap: string[] = []): Promise<RelayProcess> {
  const script = here.replace(/relays\.(ts|js)$/, fromSource ? 'relay-process.ts' : 'relay-process.js')
  const child = fork(script, [await relayTrustArg(), ...bootstrap], { execArgv: [...(fromSource ? ['--import', 'tsx'] : []), ...(process.env.SLIM_BENCH_RELAY_ARGS ?? '').split(' ').filter(a => a !== '')], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const ready = await new Promise<{ multiaddrs: string[], peerId: string }>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', code => { reject(new Error(`relay process exited with ${String(code)}`)) })
    child.on('message', (m: { type: string, multiaddrs: string[], peerId: string }) => { if (m.type === 'ready') resolve(m) })
  })
  return { addr: ready.multiaddrs[0] as string, peerId: ready.peerId, child }
}

async function ask<T> (r: RelayProcess, type: string): Promise<T> {
  return await new Promise<T>(resolve => {
    const on = (m: { type: string }): void => { if (m.type === type) { r.child.off('message', on); resolve(m as T) } }
    r.child.on('message', on)
    r.child.send({ type })
  })
}

export async function loopDelay (r: RelayProcess): Promise<LoopDelay> { return await ask<LoopDelay>(r, 'loop') }
/** The relay process's heap in use and resident set, in bytes (after a collection if it runs with --expose-gc). */
/** A relay process's memory, bytes: `rssAnon` and `rssFile` split the resident set on Linux (absent elsewhere). */
export interface RelayMemory { heapUsed: number, heapTotal: number, rss: number, external: number, rssAnon?: number, rssFile?: number }
export async function relayMemory (r: RelayProcess): Promise<RelayMemory> { return await ask<RelayMemory>(r, 'memory') }

/** Starts relays linked in a line and waits until each sees its neighbours. */
export async function startLine (n: number): Promise<RelayProcess[]> {
  const out: RelayProcess[] = []
  for (let i = 0; i < n; i++) out.push(await startRelay(i === 0 ? [] : [out[i - 1]?.addr as string]))
  for (let i = 0; i < n; i++) {
    const want = (i > 0 ? 1 : 0) + (i < n - 1 ? 1 : 0)
    let have = 0
    const r = out[i] as RelayProcess
    await until(() => have >= want, 'relay links', 20_000).catch(() => {})
    for (let t = 0; t < 200 && have < want; t++) {
      have = (await ask<{ neighbours: string[] }>(r, 'neighbours')).neighbours.length
      if (have < want) await new Promise(resolve => setTimeout(resolve, 20))
    }
  }
  return out
}

export async function stopRelays (relays: RelayProcess[]): Promise<void> {
  await Promise.all(relays.map(async r => {
    r.child.send({ type: 'stop' })
    await new Promise(resolve => { r.child.once('exit', resolve); setTimeout(() => { r.child.kill('SIGKILL'); resolve(undefined) }, 5000) })
  }))
}
