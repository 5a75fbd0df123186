/**
 * The command line, run as a user would: a relay process, a subscriber process that
 * echoes requests, and one-shot request and pub processes.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { waitFor } from '../helpers.js'
import { cleanEnv, killChildren, root, start, startWith, TEST_ADMIN } from './spawn.js'
import { MACHINES } from '../../src/charts/machines.js'

const args = (...a: string[]): string[] => ['--import', 'tsx', 'src/cli/bin.ts', ...a]
const run = promisify(execFile)

async function cli (...a: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, args(...a), { cwd: root, timeout: 20_000, env: cleanEnv() })
  return stdout
}

afterAll(() => { killChildren() })

describe('slim-mesh command line', () => {
  it('node prints its listening addresses with the peer id; sub, request and pub talk through it', async () => {
    // No trust settings: the relay makes a development authority and prints the credentials to connect with.
    const node = startWith(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--in-memory'], { SLIM_MESH_AUTHORITY: '' })
    await waitFor(() => node.out.some(l => l.includes('slim-mesh request')), 'the relay to print how to connect', 60_000)
    const addr = node.out.find(l => l.startsWith('listening on '))?.slice('listening on '.length) ?? ''
    expect(addr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3Koo\w+$/)
    expect(node.out).toContainEqual(expect.stringMatching(/^mesh \S{43} \(development authority\)$/))
    const creds = /--credentials (\S+)/.exec(node.out.find(l => l.includes('slim-mesh request')) ?? '')?.[1] ?? ''
    expect(creds).not.toBe('')

    // Without them the relay refuses, saying why.
    const refused = await run(process.execPath, args('request', '--relay', addr, 'acme/demo/echo', 'hello'), { cwd: root, env: { ...process.env, SLIM_MESH_CREDENTIALS: '' } }).then(() => '', (e: { stderr: string }) => e.stderr)
    expect(refused).toMatch(/credential refused \(missing\)/)

    const sub = startWith(['sub', '--relay', addr, '--credentials', creds, 'acme/demo/echo', '--echo', '--count', '2', '--raw'], { SLIM_MESH_CREDENTIALS: '' })
    await waitFor(() => sub.err.some(l => l.startsWith('subscribed to acme/demo/echo')), 'the subscription', 60_000)
    expect((await cli('request', '--relay', addr, '--credentials', creds, 'acme/demo/echo', 'hello')).trim()).toBe('hello')
    expect((await cli('pub', '--relay', addr, '--credentials', creds, 'acme/demo/echo', 'to all', '--mode', 'multicast')).trim()).toBe('published, seq 1')
    await waitFor(() => sub.child.exitCode != null, 'the subscriber to exit after two messages', 60_000).catch((e: Error) => {
      throw new Error(`${e.message}; sub printed ${JSON.stringify(sub.out)} / ${JSON.stringify(sub.err)}; node printed ${JSON.stringify(node.err)}`)
    })
    expect(await sub.exited).toBe(0)
    expect(sub.out).toEqual(['hello', 'to all'])

    node.child.kill('SIGINT')
    expect(await node.exited).toBe(0)
  }, 120_000)

  it('--help describes every command', async () => {
    const top = await cli('--help')
    for (const c of ['node', 'pub', 'sub', 'request', 'chart', 'inspect', 'conformance']) expect(top).toContain(c)
    expect(await cli('node', '--help')).toMatch(/--bootstrap <addr>/)
    expect(await cli('pub', '--help')).toMatch(/--mode <mode>/)
    expect(await cli('sub', '--help')).toMatch(/--from-seq <n>/)
    expect(await cli('request', '--help')).toMatch(/--timeout <ms>/)
  }, 120_000)

  it('an invalid name fails with a message that says which component is wrong', async () => {
    const err = await run(process.execPath, args('pub', '--relay', '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWD92JrdkRv3DVNd2TVY8KACQ3ygK6ARWvkYjWgA938Qfd', '--as', 'acme/Demo/x', 'acme/demo/echo', 'x'), { cwd: root, timeout: 20_000 }).then(() => '', (e: { stderr: string, code: number }) => `${e.code}: ${e.stderr}`)
    expect(err).toMatch(/^1: slim-mesh: name "acme\/Demo\/x" has an upper-case letter in component 2/)
  }, 30_000)

  it('chart prints every machine as mermaid, or one as JSON', async () => {
    const all = await cli('chart')
    for (const m of ['agentSession', 'relaySession', 'peerLink', 'sequencer', 'channel', 'channelInvite', 'channelLeave']) expect(all).toContain(`%% ${m}:`)
    expect(all.match(/stateDiagram-v2/g)?.length).toBe(MACHINES.length)
    const json = JSON.parse(await cli('chart', 'peerLink', '--format', 'json')) as { id: string, initial: string, transitions: unknown[] }
    expect(json).toMatchObject({ id: 'peerLink', initial: 'dialing' })
    expect(json.transitions.length).toBeGreaterThan(5)
    const err = await run(process.execPath, args('chart', 'nope'), { cwd: root }).then(() => '', (e: { stderr: string }) => e.stderr)
    expect(err).toMatch(/no machine named "nope"; known: agentSession/)
  }, 120_000)

  it('inspect streams a live relay\'s actors moving as an agent connects and leaves', async () => {
    const node = start('node', '--listen', '/ip4/127.0.0.1/tcp/0', '--in-memory', '--inspect')
    await waitFor(() => node.out.some(l => l.startsWith('listening on ')), 'the relay to listen', 60_000)
    const addr = node.out.find(l => l.startsWith('listening on '))?.slice('listening on '.length) ?? ''
    const inspector = start('inspect', '--relay', addr, '--credentials', TEST_ADMIN)
    await waitFor(() => inspector.out.some(l => /relay {2}· -> running/.test(l)), 'the inspector to attach', 60_000)
    await cli('pub', '--relay', addr, '--as', 'acme/cli/visitor', 'acme/cli/visitor', 'hi', '--mode', 'multicast')
    await waitFor(() => inspector.out.some(l => /session:acme\/cli\/visitor\/\w+ {2}active\.live -> closed {2}\(close\.received\)/.test(l)), 'the session to close', 20_000)
    expect(inspector.out.some(l => /session:acme\/cli\/visitor\/\w+ {2}authenticating -> active\.live/.test(l))).toBe(true)
    expect(inspector.out.some(l => /sequencer:acme\/cli\/visitor {2}· -> active/.test(l))).toBe(true)
    inspector.child.kill('SIGINT')
    // Inspection needs an admin credential: an agent's (here the issuer's own) is refused, and so is none.
    const notAdmin = await run(process.execPath, args('inspect', '--relay', addr), { cwd: root, env: cleanEnv(), timeout: 30_000 }).then(() => '', (e: { stderr: string }) => e.stderr)
    expect(notAdmin).toMatch(/refused inspection: credential refused \(not-admin\)/)
    const none = await run(process.execPath, args('inspect', '--relay', addr), { cwd: root, env: { ...cleanEnv(), SLIM_MESH_CREDENTIALS: '' }, timeout: 30_000 }).then(() => '', (e: { stderr: string }) => e.stderr)
    expect(none).toMatch(/refused inspection: credential refused/)
    node.child.kill('SIGINT')
  }, 120_000)
})
