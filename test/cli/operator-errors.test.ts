/**
 * Operator mistakes at the command line: each is one line on stderr that names the
 * problem and the fix, and the command exits non-zero at once. Relays and the impostor
 * servers listen on 127.0.0.1 only.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import http from 'node:http'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { relay, waitFor } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import { freePort, hostPort, killChildren, run, start, TEST_ADMIN } from './spawn.js'

async function listen (srv: Server | http.Server): Promise<number> {
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  return (srv.address() as { port: number }).port
}

/** stderr as lines; the assertions say "one line". */
const lines = (s: string): string[] => s.split('\n').filter(l => l !== '')

let r: Relay
let nowhere: string
beforeAll(async () => {
  r = await relay({ inspect: true })
  nowhere = `127.0.0.1:${await freePort()}`
})
afterAll(async () => {
  killChildren()
  await r.stop()
})

describe('slim-mesh command line: operator mistakes', () => {
  it('numeric options are checked as they are parsed: one line, exit 1, no connection tried', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['sub', '--relay', nowhere, 'acme/demo/echo', '--from-seq', '-5'], /^slim-mesh: option '--from-seq <n>' argument '-5' is invalid\. --from-seq must be a whole number >= 1 \(sequence numbers start at 1; leave it out to get only new messages\), not "-5"$/],
      [['sub', '--relay', nowhere, 'acme/demo/echo', '--from-seq', '0'], /--from-seq must be a whole number >= 1 .*not "0"$/],
      [['sub', '--relay', nowhere, 'acme/demo/echo', '--count', '0'], /--count must be a whole number >= 1, not "0"$/],
      [['sub', '--relay', nowhere, 'acme/demo/echo', '--count', '2.5'], /--count must be a whole number >= 1, not "2\.5"$/],
      [['request', '--relay', nowhere, 'acme/demo/echo', 'hi', '--timeout', 'abc'], /--timeout must be a whole number >= 1 \(milliseconds\), not "abc"$/],
      [['sub', '--relay', nowhere, 'acme/demo/echo', '--json', '--raw'], /^slim-mesh: option '--json' cannot be used with option '--raw'$/]
    ]
    const results = await Promise.all(cases.map(async ([a]) => await run(a)))
    results.forEach((res, i) => {
      const [a, expected] = cases[i] as [string[], RegExp]
      expect(res.code, a.join(' ')).toBe(1)
      expect(lines(res.stderr), a.join(' ')).toHaveLength(1)
      expect(lines(res.stderr)[0], a.join(' ')).toMatch(expected)
      expect(res.stdout).toBe('')
    })
  }, 180_000)

  it('--relay takes host:port; something that is neither host:port nor a multiaddr is one line', async () => {
    const bad = await run(['pub', '--relay', '127.0.0.1', 'acme/demo/echo', 'x'])
    expect(bad.code).toBe(1)
    expect(lines(bad.stderr)).toEqual([`slim-mesh: option '--relay <addr>' argument '127.0.0.1' is invalid. relay address "127.0.0.1" is neither host:port nor a multiaddr; write 127.0.0.1:7450 or /ip4/127.0.0.1/tcp/7450`])

    const ok = await run(['pub', '--relay', hostPort(r.multiaddrs[0] as string), 'acme/demo/hostport', 'hello', '--mode', 'multicast'])
    expect(ok.stderr).toBe('')
    expect(ok.stdout.trim()).toBe('published, seq 1')
    expect(ok.code).toBe(0)
  }, 180_000)

  it('nothing listening: "no relay listening at 127.0.0.1:PORT (connection refused); is the relay running?"', async () => {
    const res = await run(['sub', '--relay', nowhere, 'acme/demo/echo'])
    expect(res.code).toBe(1)
    expect(lines(res.stderr)).toEqual([`slim-mesh: no relay listening at ${nowhere} (connection refused); is the relay running?`])
  }, 180_000)

  it('a port that is not a slim-mesh relay (junk over TCP, an HTTP server): one line that says so, not AuthenticationError', async () => {
    const junk = createServer(s => { s.on('error', () => {}); s.write('x'.repeat(300) + '\r\n') })
    const web = http.createServer((_req, res) => { res.end('hello') })
    const junkPort = await listen(junk)
    const webPort = await listen(web)
    try {
      const [j, w] = await Promise.all([
        run(['pub', '--relay', `127.0.0.1:${junkPort}`, 'acme/demo/echo', 'x']),
        run(['request', '--relay', `127.0.0.1:${webPort}`, 'acme/demo/echo', 'x'])
      ])
      expect(j.code).toBe(1)
      expect(lines(j.stderr)).toHaveLength(1)
      expect(j.stderr).toMatch(new RegExp(`^slim-mesh: 127\\.0\\.0\\.1:${junkPort} is not a slim-mesh relay \\(the connection could not be secured: `))
      expect(w.code).toBe(1)
      expect(lines(w.stderr)).toHaveLength(1)
      // An HTTP server answers the handshake's bytes with 400 and closes, or (when it closes
      // while the dialler still writes) resets: either way the line says it is not a relay.
      expect(w.stderr).toMatch(new RegExp(`^slim-mesh: 127\\.0\\.0\\.1:${webPort} (is not a slim-mesh relay|refused the connection \\(reset before it was secured\\): it is not a slim-mesh relay)`))
      expect(j.stderr + w.stderr).not.toMatch(/could not prove the peer id/)
    } finally {
      junk.close()
      web.close()
    }
  }, 180_000)

  it('a libp2p node that does not speak the session protocol: "... does not speak /slim/session/1.0.0"', async () => {
    const other: Libp2p = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    try {
      const addr = other.getMultiaddrs()[0]?.toString() ?? ''
      const res = await run(['sub', '--relay', hostPort(addr), 'acme/demo/echo'])
      expect(res.code).toBe(1)
      expect(lines(res.stderr)).toEqual([`slim-mesh: ${hostPort(addr)} is a libp2p node but does not speak /slim/session/1.0.0; is it a slim-mesh relay?`])
    } finally {
      await other.stop()
    }
  }, 180_000)

  it('inspect --relay takes host:port, and says in one line when nothing listens', async () => {
    const inspector = start('inspect', '--relay', hostPort(r.multiaddrs[0] as string), '--credentials', TEST_ADMIN)
    await waitFor(() => inspector.out.some(l => /relay {2}· -> running/.test(l)), 'the inspector to attach', 60_000).catch((e: Error) => {
      throw new Error(`${e.message}; inspect printed ${JSON.stringify(inspector.out)} / ${JSON.stringify(inspector.err)}`)
    })
    inspector.child.kill('SIGINT')
    const res = await run(['inspect', '--relay', nowhere])
    expect(res.code).toBe(1)
    expect(lines(res.stderr)).toEqual([`slim-mesh: no relay listening at ${nowhere} (connection refused); is the relay running?`])
  }, 180_000)
})
