/** Controllers in their own processes (test/fixtures/controller-process.ts), to kill with SIGKILL. */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ControllerOptions } from '../src/control/controller.js'
import { testMesh } from './helpers.js'

const root = fileURLToPath(new URL('../', import.meta.url))

export interface ProcessController {
  url: string
  child: ChildProcess
  exited: Promise<number | null>
}

/** Starts a controller process of the test mesh (its authority); resolves once it listens. */
export async function startControllerProcess (opts: Omit<ControllerOptions, 'authority'>): Promise<ProcessController> {
  const options = { authorityFile: (await testMesh()).authorityFile, listen: '127.0.0.1:0', ...opts }
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/controller-process.ts', JSON.stringify(options)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>(resolve => child.once('exit', resolve))
  const ready = await new Promise<{ url: string }>((resolve, reject) => {
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const line = buf.split('\n').find(l => l.startsWith('ready '))
      if (line != null) resolve(JSON.parse(line.slice('ready '.length)) as { url: string })
    })
    void exited.then(code => { reject(new Error(`controller process exited with ${String(code)} before it was ready`)) })
  })
  return { url: ready.url, child, exited }
}

/** SIGKILL: no resignation, no goodbye; its election lease expires after its TTL. */
export async function killController (c: ProcessController): Promise<void> {
  c.child.kill('SIGKILL')
  await c.exited
}

export async function stopControllerProcess (c?: ProcessController): Promise<void> {
  if (c == null || c.child.exitCode != null || c.child.signalCode != null) return
  c.child.kill('SIGTERM')
  const timer = setTimeout(() => { c.child.kill('SIGKILL') }, 15_000)
  await c.exited
  clearTimeout(timer)
}

/** Whether the controller at `url` says it leads (its `/healthz`); false if it does not answer. */
export async function leads (url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
    return ((await res.json()) as { leader?: boolean }).leader === true
  } catch {
    return false
  }
}
