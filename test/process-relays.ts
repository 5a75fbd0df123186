/** Relays in their own processes (test/fixtures/relay-process.ts), to kill with SIGKILL and restart. */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { RelayOptions } from '../src/node/relay-node.js'
import { FAST, testMesh } from './helpers.js'
import { freePort } from './cli/spawn.js'

const root = fileURLToPath(new URL('../', import.meta.url))

export interface ProcessRelay {
  peerId: string
  addr: string
  child: ChildProcess
  options: RelayOptions
  exited: Promise<number | null>
}


/** Starts a relay process with the fast test timings; resolves once it listens. */
export async function startRelayProcess (opts: RelayOptions & { port?: number } = {}): Promise<ProcessRelay> {
  const port = opts.port ?? await freePort()
  const options: RelayOptions & { authorityFile?: string } = {
    ...(opts.trust == null && opts.control == null ? { authorityFile: (await testMesh()).authorityFile } : {}),
    ...FAST,
    ...opts,
    listen: [`/ip4/127.0.0.1/tcp/${port}`],
    config: { ...FAST.config, ...opts.config },
    timings: { ...FAST.timings, ...opts.timings }
  }
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/fixtures/relay-process.ts', JSON.stringify(options)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>(resolve => child.once('exit', resolve))
  const ready = await new Promise<{ peerId: string, multiaddrs: string[] }>((resolve, reject) => {
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const line = buf.split('\n').find(l => l.startsWith('ready '))
      if (line != null) resolve(JSON.parse(line.slice('ready '.length)) as { peerId: string, multiaddrs: string[] })
    })
    void exited.then(code => { reject(new Error(`relay process exited with ${String(code)} before it was ready`)) })
  })
  return { peerId: ready.peerId, addr: ready.multiaddrs[0] as string, child, options: { ...options, port } as RelayOptions, exited }
}

/** SIGKILL: no goodbye, no flush, sockets reset by the kernel. */
export async function killRelay (r: ProcessRelay): Promise<void> {
  r.child.kill('SIGKILL')
  await r.exited
}

/** SIGSTOP: the process stops where it is, its sockets stay open and nothing answers (a hung relay). */
export function pauseRelay (r: ProcessRelay): void {
  r.child.kill('SIGSTOP')
}

/** SIGCONT: a paused relay goes on. */
export function resumeRelay (r: ProcessRelay): void {
  r.child.kill('SIGCONT')
}

/** The same relay again: same options, data directory and port. */
export async function restartRelay (r: ProcessRelay): Promise<ProcessRelay> {
  return await startRelayProcess(r.options)
}

export async function stopRelayProcess (r?: ProcessRelay): Promise<void> {
  if (r == null || r.child.exitCode != null || r.child.signalCode != null) return
  r.child.kill('SIGCONT') // a paused one would never see the SIGTERM
  r.child.kill('SIGTERM')
  // A relay that does not finish stopping is killed: no test leaves a process behind.
  const timer = setTimeout(() => { r.child.kill('SIGKILL') }, 15_000)
  await r.exited
  clearTimeout(timer)
}

/**
 * The relay process's memory after a garbage collection (heap in use and resident set, in
 * bytes) and the longest its event loop was held since the last call (ms).
 */
export async function relayMemory (r: ProcessRelay): Promise<{ heapUsed: number, rss: number, loopMaxMs: number }> {
  return await new Promise((resolve) => {
    let buf = ''
    const onData = (d: Buffer): void => {
      buf += d.toString()
      const line = buf.split('\n').find(l => l.startsWith('memory '))
      if (line == null) return
      r.child.stdout?.off('data', onData)
      resolve(JSON.parse(line.slice('memory '.length)) as { heapUsed: number, rss: number, loopMaxMs: number })
    }
    r.child.stdout?.on('data', onData)
    r.child.kill('SIGUSR2')
  })
}
