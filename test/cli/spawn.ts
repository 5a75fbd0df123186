/** The command line run as a user runs it: `node --import tsx src/cli/bin.ts ...` as a child process. */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { testMesh } from '../helpers.js'

export const root = fileURLToPath(new URL('../../', import.meta.url))
const args = (...a: string[]): string[] => ['--import', 'tsx', 'src/cli/bin.ts', ...a]

const children: ChildProcess[] = []

export interface Running {
  child: ChildProcess
  out: string[]
  err: string[]
  /** Resolves with the exit code (listened to from the start: an early exit is not missed). */
  exited: Promise<number | null>
}

/**
 * The mesh the commands run in: relays started with `slim-mesh node` trust its authority
 * (SLIM_MESH_AUTHORITY) and agent commands connect with its issuer's credentials
 * (SLIM_MESH_CREDENTIALS), as an operator sets them up. A test of the development
 * authority or of open mode says so with its own flags or variables.
 */
const mesh = await testMesh()
export const TEST_AUTHORITY = mesh.authorityFile
export const TEST_CREDENTIALS = mesh.credentialsFile
export const TEST_ADMIN = mesh.adminFile

/** The environment without any SLIM_MESH_* or DEBUG of the machine running the tests, with the test mesh's trust. */
export const cleanEnv = (): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLIM_MESH_') && k !== 'DEBUG')),
  SLIM_MESH_AUTHORITY: TEST_AUTHORITY,
  SLIM_MESH_CREDENTIALS: TEST_CREDENTIALS
})

/** A long-running command; its output is collected line by line. */
export function start (...a: string[]): Running {
  return startWith(a)
}

/** `start` with variables added to the (clean) environment. */
export function startWith (a: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, args(...a), { cwd: root, env: { ...cleanEnv(), NO_COLOR: '1', ...env } })
  children.push(child)
  const exited = new Promise<number | null>(resolve => child.once('exit', resolve))
  const out: string[] = []
  const err: string[] = []
  child.stdout?.on('data', (d: Buffer) => out.push(...d.toString().split('\n').filter(Boolean)))
  child.stderr?.on('data', (d: Buffer) => err.push(...d.toString().split('\n').filter(Boolean)))
  return { child, out, err, exited }
}

export interface Result { code: number | null, stdout: string, stderr: string, ms: number }

/** Runs a command to its end (with `input` on its stdin, if given). */
export async function run (a: string[], options: { input?: string | Uint8Array, timeoutMs?: number } = {}): Promise<Result> {
  const t0 = Date.now()
  const child = spawn(process.execPath, args(...a), { cwd: root, env: { ...cleanEnv(), NO_COLOR: '1' } })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdin.on('error', () => {}) // a command that exits before reading all of its stdin
  child.stdin.end(options.input ?? '')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, options.timeoutMs ?? 150_000)
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr, ms: Date.now() - t0 }
}

/**
 * A `sub` process, waited on until it is subscribed; with the full name it printed
 * (`subscribed to NAME as AGENT`).
 */
export async function subscriber (relayAddr: string, ...a: string[]): Promise<{ sub: Running, name: string }> {
  const sub = start('sub', '--relay', relayAddr, ...a)
  const started = Date.now()
  while (!sub.err.some(l => l.startsWith('subscribed to ')) && sub.child.exitCode == null) {
    if (Date.now() - started > 60_000) throw new Error(`sub did not subscribe in 60 s: ${JSON.stringify(sub.err)}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  if (sub.child.exitCode != null) throw new Error(`sub exited: ${JSON.stringify(sub.err)}`)
  const line = sub.err.find(l => l.startsWith('subscribed to ')) ?? ''
  return { sub, name: line.slice(line.lastIndexOf(' as ') + 4) }
}

/** Ends every child still running (for afterAll). */
export function killChildren (): void {
  for (const c of children) if (c.exitCode == null && c.signalCode == null) c.kill('SIGTERM')
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function freePort (): Promise<number> {
  const srv = createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>(resolve => srv.close(() => { resolve() }))
  return port
}

/** `host:port` of a relay multiaddr like /ip4/127.0.0.1/tcp/PORT/p2p/ID. */
export function hostPort (addr: string): string {
  const parts = addr.split('/')
  return `${parts[2] ?? ''}:${parts[4] ?? ''}`
}
