/**
 * What a NATS user looks for at the command line: `--version`; `pub` from stdin or a
 * file; `sub` lines that say what arrived where (name, source, seq, request); `npm start`
 * saying it builds; walkthrough and simulation output kept out of git; a LICENSE.
 * Commands run as child processes against a relay on 127.0.0.1.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { spawn, execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { relay, tempDir, waitFor } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import { freePort, hostPort, killChildren, root, run, start, subscriber } from './spawn.js'

const exec = promisify(execFile)
const lines = (s: string): string[] => s.split('\n').filter(l => l !== '')

let r: Relay
let at: string
beforeAll(async () => {
  r = await relay()
  at = hostPort(r.multiaddrs[0] as string)
})
afterAll(async () => {
  killChildren()
  await r.stop()
})

/** A subscriber process, waited on until it is subscribed. */
async function subscribed (...a: string[]): Promise<ReturnType<typeof start>> {
  return (await subscriber(at, ...a)).sub
}

async function finished (sub: ReturnType<typeof start>, what: string): Promise<void> {
  await waitFor(() => sub.child.exitCode != null, what, 60_000).catch((e: Error) => {
    throw new Error(`${e.message}; sub printed ${JSON.stringify(sub.out)} / ${JSON.stringify(sub.err)}`)
  })
  expect(await sub.exited).toBe(0)
}

describe('slim-mesh command line: what a NATS user expects', () => {
  it('--version (and -v) prints the version in package.json', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }
    const [long, short] = await Promise.all([run(['--version']), run(['-v'])])
    expect(long).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
    expect(short).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
  }, 180_000)

  it('sub prints [NAME #SEQ request from SOURCE] TEXT per message', async () => {
    const sub = await subscribed('acme/parity/lines', '--echo', '--count', '3')
    const reply = await run(['request', '--relay', at, 'acme/parity/lines', 'hi'])
    expect(reply).toMatchObject({ code: 0, stdout: 'hi\n' })
    const multi = await run(['pub', '--relay', at, 'acme/parity/lines', 'to all', '--mode', 'multicast'])
    expect(multi.stdout).toBe('published, seq 1\n')
    const any = await run(['pub', '--relay', at, 'acme/parity/lines', 'to one'])
    expect(any.stdout).toBe('published\n')
    await finished(sub, 'the subscriber to exit after three messages')
    expect(sub.out).toHaveLength(3)
    expect(sub.out[0]).toMatch(/^\[acme\/parity\/lines request from slim-mesh\/cli\/request\/[a-z0-9]+\] hi$/)
    expect(sub.out[1]).toMatch(/^\[acme\/parity\/lines #1 from slim-mesh\/cli\/pub\/[a-z0-9]+\] to all$/)
    expect(sub.out[2]).toMatch(/^\[acme\/parity\/lines from slim-mesh\/cli\/pub\/[a-z0-9]+\] to one$/)
  }, 180_000)

  it('pub reads the message from stdin with -, or from --file; sub --json says subject, destination, source, seq, mode, request, text', async () => {
    await using dir = await tempDir()
    const file = join(dir.path, 'message.txt')
    await writeFile(file, 'from a file')
    const sub = await subscribed('acme/parity/json', '--json', '--count', '3')
    const fromStdin = await run(['pub', '--relay', at, 'acme/parity/json', '-', '--mode', 'multicast'], { input: 'from stdin' })
    expect(fromStdin).toMatchObject({ code: 0, stdout: 'published, seq 1\n' })
    const fromFile = await run(['pub', '--relay', at, 'acme/parity/json', '--file', file, '--mode', 'multicast'])
    expect(fromFile).toMatchObject({ code: 0, stdout: 'published, seq 2\n' })
    const reply = await run(['request', '--relay', at, 'acme/parity/json', 'question', '--timeout', '500'])
    expect(reply.code).toBe(1) // --json does not echo: nobody answers
    expect(lines(reply.stderr)).toEqual(['slim-mesh: request to acme/parity/json timed out after 500 ms'])
    await finished(sub, 'the subscriber to exit after three messages')
    const got = sub.out.map(l => JSON.parse(l) as Record<string, unknown>)
    const source = { source: expect.stringMatching(/^slim-mesh\/cli\/pub\/[a-z0-9]+$/) }
    expect(got[0]).toEqual({ subject: 'acme/parity/json', destination: 'acme/parity/json', ...source, seq: 1, mode: 'multicast', request: false, text: 'from stdin' })
    expect(got[1]).toEqual({ subject: 'acme/parity/json', destination: 'acme/parity/json', ...source, seq: 2, mode: 'multicast', request: false, text: 'from a file' })
    expect(got[2]).toEqual({ subject: 'acme/parity/json', destination: 'acme/parity/json', source: expect.stringMatching(/^slim-mesh\/cli\/request\//), seq: null, mode: 'anycast', request: true, text: 'question' })
  }, 180_000)

  it('pub: a message over 1 MiB (file or stdin), no message, or two messages is one line, before any connection', async () => {
    await using dir = await tempDir()
    const big = join(dir.path, 'big.bin')
    await writeFile(big, new Uint8Array(1024 * 1024 + 1))
    const nowhere = `127.0.0.1:${await freePort()}`
    const [file, stdin, none, both] = await Promise.all([
      run(['pub', '--relay', nowhere, 'acme/parity/big', '--file', big]),
      run(['pub', '--relay', nowhere, 'acme/parity/big', '-'], { input: new Uint8Array(1024 * 1024 + 1) }),
      run(['pub', '--relay', nowhere, 'acme/parity/big']),
      run(['pub', '--relay', nowhere, 'acme/parity/big', 'text', '--file', big])
    ])
    expect(file.code).toBe(1)
    expect(lines(file.stderr)).toEqual([`slim-mesh: ${big} is 1048577 bytes, over the 1 MiB (1048576 bytes) limit of one message`])
    expect(stdin.code).toBe(1)
    expect(lines(stdin.stderr)).toEqual(['slim-mesh: the message on stdin is over the 1 MiB (1048576 bytes) limit of one message'])
    expect(none.code).toBe(1)
    expect(lines(none.stderr)).toEqual(['slim-mesh: pub needs the message: TEXT, - to read it from stdin, or --file PATH'])
    expect(both.code).toBe(1)
    expect(lines(both.stderr)).toEqual([`slim-mesh: give the message once: as TEXT, as - (stdin) or with --file, not both "text" and --file ${big}`])
  }, 120_000)

  it('npm start says it is building before the build', async () => {
    // Stopped as soon as it says so: the build itself is `npm run build`, tested by use.
    const child = spawn('npm', ['start'], { cwd: root, detached: true, env: { ...process.env, NO_COLOR: '1' } })
    const exited = new Promise<void>(resolve => child.once('exit', () => { resolve() }))
    let err = ''
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    try {
      await waitFor(() => err.includes('building slim-mesh') || child.exitCode != null, 'npm start to say it is building', 60_000)
      expect(err).toMatch(/^building slim-mesh \(tsc\)\.\.\.$/m)
    } finally {
      if (child.exitCode == null && child.pid != null) process.kill(-child.pid, 'SIGTERM')
      await exited
    }
  }, 90_000)

  it('.gitignore keeps the README walkthrough data and the simulation output out of git', async () => {
    const paths = ['.slim-mesh/LOCK', '.r1/LOCK', '.r2/LOCK', '.relay/LOCK', 'sim-out/metrics.json', 'sim-out/plot.svg', 'metrics.json', 'plot.svg']
    const { stdout } = await exec('git', ['check-ignore', ...paths], { cwd: root })
    expect(lines(stdout)).toEqual(paths)
    await expect(exec('git', ['check-ignore', 'src/index.ts'], { cwd: root })).rejects.toMatchObject({ code: 1 })
  })

  it('LICENSE is the Apache License 2.0 that package.json names, with its appendix and our copyright line', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { license: string }
    expect(pkg.license).toBe('Apache-2.0')
    const license = await readFile(join(root, 'LICENSE'), 'utf8')
    expect(license).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004\n\s+http:\/\/www\.apache\.org\/licenses\/\n/)
    for (const part of ['TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION', '9. Accepting Warranty or Additional Liability.', 'END OF TERMS AND CONDITIONS', 'APPENDIX: How to apply the Apache License to your work.']) expect(license).toContain(part)
    expect(license).toContain('   Copyright 2026 the slim-mesh authors\n')
    expect(license).not.toContain('[yyyy]')
    expect(license.trimEnd()).toMatch(/limitations under the License\.$/)
  })
})
