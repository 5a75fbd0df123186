/**
 * `slim-mesh node` run as an operator runs it: settings from a config file, the
 * environment and flags; log lines on standard error; and one line that names the
 * problem and the fix for the usual mistakes (a port or data directory in use, a bad
 * address, a bad config file).
 */
import { describe, it, expect, afterAll } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from '../helpers.js'
import { rawSession } from '../relay/raw-session.js'
import { freePort, killChildren, startWith } from './spawn.js'
import type { Running } from './spawn.js'

const dirs: string[] = []

const start = (args: string[], env: NodeJS.ProcessEnv = {}): Running => startWith(args, env)

/** Runs to the end: exit code and output. */
async function run (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null, out: string[], err: string[] }> {
  const p = start(args, env)
  const code = await p.exited
  await new Promise(resolve => setImmediate(resolve)) // the last 'data' events
  return { code, out: p.out, err: p.err }
}

async function listening (p: Running): Promise<string> {
  await waitFor(() => p.out.some(l => l.startsWith('listening on ')) || p.child.exitCode != null, 'the relay to listen', 60_000)
  const addr = p.out.find(l => l.startsWith('listening on '))?.slice('listening on '.length)
  if (addr == null) throw new Error(`the relay did not start: ${p.err.join(' | ')}`)
  return addr
}

async function tempDir (): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'slim-mesh-node-'))
  dirs.push(d)
  return d
}

/** One line, naming the problem, no stack trace. */
function oneLine (err: string[]): string {
  expect(err).toHaveLength(1)
  expect(err[0]).not.toMatch(/^\s+at |faultTolerance/)
  return err[0] as string
}

afterAll(async () => {
  killChildren()
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

const MISSING_RELAY = '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWD92JrdkRv3DVNd2TVY8KACQ3ygK6ARWvkYjWgA938Qfd'

describe('slim-mesh node: configuration', () => {
  it('a bad config file: one line naming the file, the setting and the value; exit code 1', async () => {
    const dir = await tempDir()
    const file = join(dir, 'config.yaml')
    await writeFile(file, 'listen: 127.0.0.1:0\nrelay:\n  writeDeadlineMs: abc\n')
    const r = await run(['node', '--config', file])
    expect(r.code).toBe(1)
    expect(oneLine(r.err)).toBe('slim-mesh: config.yaml: relay.writeDeadlineMs must be a positive integer (milliseconds) (got "abc")')
    expect(r.out).toEqual([]) // nothing started
  }, 60_000)

  it('the config file\'s listen port and timings reach the relay; the environment beats the file, a flag beats the environment', async () => {
    const dir = await tempDir()
    const port = await freePort()
    const file = join(dir, 'relay.yaml')
    await writeFile(file, [
      `listen: 127.0.0.1:${port}`,
      'inMemory: true',
      'log: { level: error, format: text }',
      'timings:',
      '  handshakeTimeoutMs: 300 # the default is 10 s'
    ].join('\n'))
    // env: JSON over the file's text; flag: info over the env's warn over the file's error.
    const node = start(['node', '--config', file, '--log-level', 'info'], { SLIM_MESH_LOG_FORMAT: 'json', SLIM_MESH_LOG_LEVEL: 'warn' })
    const addr = await listening(node)
    expect(addr).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/${port}/p2p/12D3KooW\\w+$`))
    // A session that never says Hello is cut after the configured 300 ms, not 10 s.
    const s = await rawSession(addr)
    const cut = (): Record<string, unknown> | undefined => node.err.map(l => JSON.parse(l) as Record<string, unknown>).find(l => l.msg === 'session cut')
    await waitFor(() => cut() != null, 'the session to be cut after the handshake timeout', 5_000)
    expect(cut()).toMatchObject({ level: 'warn', reason: 'handshake not finished in time' })
    expect(node.err.some(l => (JSON.parse(l) as { msg: string }).msg === 'relay started')).toBe(true) // info, from the flag
    await s.stop()
    node.child.kill('SIGINT')
    expect(await node.exited).toBe(0)
  }, 60_000)

  it('--print-config shows every setting merged from the file, the environment and the flags', async () => {
    const dir = await tempDir()
    const file = join(dir, 'relay.json')
    await writeFile(file, JSON.stringify({ dataDir: '/from/file', relay: { writeDeadlineMs: 100, gapWaitMs: 7 } }))
    const r = await run(['node', '--print-config', '--data-dir', '/from/flag'], { SLIM_MESH_CONFIG: file, SLIM_MESH_DATA_DIR: '/from/env', SLIM_MESH_WRITE_DEADLINE_MS: '250', SLIM_MESH_LISTEN: '127.0.0.1:7001,127.0.0.1:7002' })
    expect(r.code).toBe(0)
    const text = r.out.join('\n')
    expect(text).toContain('dataDir: /from/flag')
    expect(text).toMatch(/listen:\n {2}- 127\.0\.0\.1:7001\n {2}- 127\.0\.0\.1:7002/)
    expect(text).toContain('writeDeadlineMs: 250')
    expect(text).toContain('gapWaitMs: 7')
    expect(text).toContain('routeTtlMs: 15000') // a default, shown too
    expect(text).toContain('gracePeriodMs: 30000')
    expect(text).toContain('maxPendingPerHost: 32') // the inbound limits' defaults too
  }, 60_000)

  it('--announce: the relay tells others the announced address, says so in the banner, and is reached there', async () => {
    const [listenPort, announcePort] = [await freePort(), await freePort()]
    const node = start(['node', '--listen', `127.0.0.1:${listenPort}`, '--in-memory', '--announce', `127.0.0.1:${announcePort}`])
    await waitFor(() => node.out.some(l => l.startsWith('announced as ')) || node.child.exitCode != null, 'the banner', 60_000)
    const announced = node.out.find(l => l.startsWith('announced as '))
    expect(announced, node.err.join(' | ')).toMatch(new RegExp(`^announced as /ip4/127\\.0\\.0\\.1/tcp/${announcePort}/p2p/12D3KooW\\w+$`))
    expect(node.out.some(l => l.startsWith('listening on '))).toBe(false)
    // The example in the banner dials the announced address, and the relay still listens on its own.
    expect(node.out.some(l => l.includes(`sub --relay /ip4/127.0.0.1/tcp/${announcePort}/p2p/`))).toBe(true)
    const peer = (announced as string).split('/p2p/')[1] as string
    const s = await rawSession(`/ip4/127.0.0.1/tcp/${listenPort}/p2p/${peer}`)
    expect(s.stream.status).toBe('open')
    await s.node.stop()
    node.child.kill('SIGINT')
    expect(await node.exited).toBe(0)
  }, 60_000)

  it('--metrics serves Prometheus metrics and health checks, said in the banner; --print-config shows it', async () => {
    const printed = await run(['node', '--print-config', '--metrics', '127.0.0.1:9464'])
    expect(printed.code).toBe(0)
    expect(printed.out).toContain('metrics: 127.0.0.1:9464')
    const node = start(['node', '--listen', '127.0.0.1:0', '--in-memory', '--metrics', '127.0.0.1:0'])
    const addr = await listening(node)
    await waitFor(() => node.out.some(l => l.startsWith('metrics on ')) || node.child.exitCode != null, 'the metrics line')
    const line = node.out.find(l => l.startsWith('metrics on ')) as string
    const url = /^metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics) /.exec(line)?.[1]
    expect(url, line).toBeDefined()
    const metrics = await (await fetch(url as string)).text()
    expect(metrics).toContain(`slim_relay_info{peer_id="${addr.split('/p2p/')[1] as string}"`)
    expect((await fetch((url as string).replace(/metrics$/, 'readyz'))).status).toBe(200) // no relays to link to: ready
    node.child.kill('SIGINT')
    expect(await node.exited).toBe(0)
  }, 60_000)
})

describe('slim-mesh node: logs', () => {
  it('info lines for agents, sequencers, links and an unreachable bootstrap relay', async () => {
    const hub = start(['node', '--listen', '127.0.0.1:0', '--in-memory'])
    const hubAddr = await listening(hub)
    expect(hub.err.some(l => / INFO {2}slim:relay:\w+ relay started /.test(l))).toBe(true)

    const pub = await run(['pub', '--relay', hubAddr, '--as', 'acme/ops/visitor', 'acme/ops/news', 'hi', '--mode', 'multicast'])
    expect({ code: pub.code, err: pub.err }).toMatchObject({ code: 0 }) // the stderr shows on failure
    await waitFor(() => hub.err.some(l => / agent session closed agent=acme\/ops\/visitor\/\w+ session=[0-9a-f]{16} reason="closed by the agent"$/.test(l)), 'the session close line', 20_000)
    expect(hub.err.some(l => / INFO {2}slim:relay:\w+ agent attached agent=acme\/ops\/visitor\/\w+ session=[0-9a-f]{16} resumed=false$/.test(l))).toBe(true)
    expect(hub.err.some(l => / INFO {2}slim:relay:\w+ sequencer claimed\b.* name=acme\/ops\/news$/.test(l))).toBe(true)

    const leaf = start(['node', '--listen', '127.0.0.1:0', '--in-memory', '--bootstrap', hubAddr, '--bootstrap', MISSING_RELAY])
    const leafAddr = await listening(leaf)
    const leafId = leafAddr.split('/p2p/')[1] as string
    await waitFor(() => hub.err.some(l => l.includes(` link up peer=${leafId}`)), 'link up at the hub', 30_000)
    await waitFor(() => leaf.err.some(l => / WARN {2}slim:relay:\w+ relay unreachable; retrying with backoff/.test(l)), 'the unreachable line', 30_000)
    const unreachable = leaf.err.find(l => l.includes('relay unreachable')) as string
    expect(unreachable).toContain(MISSING_RELAY)
    expect(unreachable).toMatch(/error=".*ECONNREFUSED.*"/)

    leaf.child.kill('SIGINT')
    expect(await leaf.exited).toBe(0)
    await waitFor(() => hub.err.some(l => l.includes(` link down peer=${leafId}`)), 'link down at the hub', 30_000)
    hub.child.kill('SIGINT')
    expect(await hub.exited).toBe(0)
  }, 120_000)

  it('--log-level warn keeps the info lines out; --log-format json writes one JSON object a line', async () => {
    const node = start(['node', '--listen', '127.0.0.1:0', '--in-memory', '--bootstrap', MISSING_RELAY, '--log-level', 'warn', '--log-format', 'json'])
    await listening(node)
    await waitFor(() => node.err.length > 0, 'the warning', 30_000)
    const logged = node.err.map(l => JSON.parse(l) as Record<string, unknown>)
    // 'relay started' (info) is logged before the dial fails: with warn it is not there.
    expect(logged.map(l => l.level)).toEqual(['warn'])
    expect(logged[0]).toMatchObject({ msg: expect.stringMatching(/^relay unreachable/), addrs: [MISSING_RELAY], component: expect.stringMatching(/^slim:relay:/) })
    node.child.kill('SIGINT')
    expect(await node.exited).toBe(0)
  }, 60_000)
})

describe('slim-mesh node: operator mistakes', () => {
  it('a second relay on a data directory in use: one line naming the directory and the fix', async () => {
    const dir = await tempDir()
    const first = start(['node', '--listen', '127.0.0.1:0', '--data-dir', dir])
    await listening(first)
    const second = await run(['node', '--listen', '127.0.0.1:0', '--data-dir', dir])
    expect(second.code).toBe(1)
    expect(oneLine(second.err)).toBe(`slim-mesh: data directory ${dir} is in use by another process (is a relay already running on it?); stop that one, or give this one another data directory (--data-dir DIR, or --in-memory)`)
    first.child.kill('SIGINT')
    expect(await first.exited).toBe(0)
  }, 60_000)

  it('a second relay on a port in use: one line naming the address and the fix, no stack trace', async () => {
    const first = start(['node', '--listen', '127.0.0.1:0', '--in-memory'])
    const port = (await listening(first)).split('/')[4] as string
    const second = await run(['node', '--listen', `127.0.0.1:${port}`, '--in-memory'])
    expect(second.code).toBe(1)
    expect(oneLine(second.err)).toBe(`slim-mesh: cannot listen on /ip4/127.0.0.1/tcp/${port}: the address is in use (is another relay running on it?); stop that one, or listen on another port (--listen 127.0.0.1:PORT, or port 0 for any free one)`)
    first.child.kill('SIGINT')
    expect(await first.exited).toBe(0)
  }, 60_000)

  it('an invalid --listen, and a --bootstrap without its peer id: one line each', async () => {
    const [listen, bootstrap] = await Promise.all([
      run(['node', '--listen', '127.0.0.1', '--in-memory']),
      run(['node', '--listen', '127.0.0.1:0', '--in-memory', '--bootstrap', '127.0.0.1:7450'])
    ])
    expect(listen.code).toBe(1)
    expect(oneLine(listen.err)).toBe('slim-mesh: listen address "127.0.0.1" is neither host:port nor a multiaddr; write 127.0.0.1:7450 or /ip4/127.0.0.1/tcp/7450')
    expect(bootstrap.code).toBe(1)
    expect(oneLine(bootstrap.err)).toMatch(/^slim-mesh: bootstrap address "127\.0\.0\.1:7450" has no \/p2p\/<peerId>, so the relay there cannot be linked to; write its full address as it prints it/)
  }, 60_000)
})
