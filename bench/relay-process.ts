/**
 * One relay in its own process, as nats-server runs in its own: started by the bench
 * with `fork`, it reports its addresses, then answers `loop` requests with its event
 * loop delay (p99 and max, ms) since the previous one, and `memory` with its heap in use,
 * external memory and resident set (with its anonymous and file-backed parts on Linux).
 */
import '../src/polyfill.js'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { readFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import { createRelay } from '../src/node/relay-node.js'
import { readCredentials } from '../src/trust/credentials-file.js'

// argv: the mesh authority's file (or `open`), then the relays to link to.
const [trustArg = 'open', ...bootstrap] = process.argv.slice(2)
const file = trustArg === 'open' ? undefined : await readCredentials(trustArg)
if (file != null && file.kind !== 'slim-mesh/authority') throw new TypeError(`${trustArg} holds no authority`)
// SLIM_BENCH_DATA_DIR: keep the archive on disk, in a fresh directory under it (the soak).
const root = process.env.SLIM_BENCH_DATA_DIR
const dataDir = root != null && root !== '' ? await mkdtemp(join(root, 'relay-')) : undefined
const relay = await createRelay({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, dataDir, trust: file != null ? { authority: file.authority } : 'open' })
/** The resident set split as Linux counts it: anonymous memory, and pages of mapped files (LevelDB maps its tables) that the kernel can drop. */
function residentParts (): { rssAnon?: number, rssFile?: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const kb = (key: string): number | undefined => { const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status); return m != null ? Number(m[1]) * 1024 : undefined }
    return { rssAnon: kb('RssAnon'), rssFile: kb('RssFile') }
  } catch { return {} }
}
const h = monitorEventLoopDelay({ resolution: 1 })
h.enable()
process.send?.({ type: 'ready', multiaddrs: relay.multiaddrs, peerId: relay.peerId })
process.on('message', (m: { type: string }) => {
  if (m.type === 'loop') {
    process.send?.({ type: 'loop', p99: h.percentile(99) / 1e6, max: h.max / 1e6, mean: h.mean / 1e6 })
    h.reset()
  } else if (m.type === 'memory') {
    // After a collection when the process runs with --expose-gc (the soak forks it so).
    (globalThis as { gc?: () => void }).gc?.()
    const u = process.memoryUsage()
    process.send?.({ type: 'memory', heapUsed: u.heapUsed, heapTotal: u.heapTotal, rss: u.rss, external: u.external, ...residentParts() })
  } else if (m.type === 'neighbours') {
    process.send?.({ type: 'neighbours', neighbours: relay.neighbours() })
  } else if (m.type === 'stop') {
    void relay.stop().then(() => process.exit(0))
  }
})
