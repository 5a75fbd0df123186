/**
 * Operator mistakes at `createRelay`, as typed errors that name the problem and the fix
 * (the command line prints their message): a port or data directory another relay holds,
 * a listen or bootstrap address that cannot work.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRelay } from '../../src/node/relay-node.js'
import type { Relay } from '../../src/node/relay-node.js'
import { listenError } from '../../src/p2p/libp2p-node.js'

const relays: Relay[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const r of relays.splice(0)) await r.stop()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const portOf = (r: Relay): string => (r.multiaddrs[0] as string).split('/')[4] as string
const failure = async (p: Promise<Relay>): Promise<Error> => await p.then(async r => { relays.push(r); throw new Error('the relay started') }, (e: Error) => e)

describe('createRelay on operator mistakes', () => {
  it('a port in use: AddressInUseError naming the address, no libp2p advice or stack trace; the data directory is let go', async () => {
    const first = await createRelay({ listen: ['127.0.0.1:0'] })
    relays.push(first)
    const dir = await mkdtemp(join(tmpdir(), 'slim-mesh-port-'))
    dirs.push(dir)
    const err = await failure(createRelay({ listen: [`127.0.0.1:${portOf(first)}`], dataDir: dir }))
    expect(err.name).toBe('AddressInUseError')
    expect(err.message).toBe(`cannot listen on /ip4/127.0.0.1/tcp/${portOf(first)}: the address is in use (is another relay running on it?); stop that one, or listen on another port (--listen 127.0.0.1:PORT, or port 0 for any free one)`)
    expect(err.message).not.toMatch(/faultTolerance|\n/)
    // The store it had opened was closed: the same directory works at once.
    relays.push(await createRelay({ listen: ['127.0.0.1:0'], dataDir: dir }))
  })

  it('a data directory another relay has open: DataDirInUseError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slim-mesh-dir-'))
    dirs.push(dir)
    relays.push(await createRelay({ listen: ['127.0.0.1:0'], dataDir: dir }))
    const err = await failure(createRelay({ listen: ['127.0.0.1:0'], dataDir: dir }))
    expect(err.name).toBe('DataDirInUseError')
    expect(err.message).toMatch(new RegExp(`^data directory ${dir} is in use by another process`))
  })

  it('accepts host:port to listen on', async () => {
    const r = await createRelay({ listen: ['127.0.0.1:0'] })
    relays.push(r)
    expect(r.multiaddrs[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/)
  })

  it('a listen address that is no address, or not this machine\'s: one line that says which and what would do', async () => {
    const bad = await failure(createRelay({ listen: ['localhost'] }))
    expect(bad.name).toBe('InvalidAddressError')
    expect(bad.message).toBe('listen address "localhost" is neither host:port nor a multiaddr; write 127.0.0.1:7450 or /ip4/127.0.0.1/tcp/7450')
    const foreign = await failure(createRelay({ listen: ['192.0.2.1:7450'] })) // TEST-NET-1: never this machine's
    expect(foreign.name).toBe('ListenError')
    expect(foreign.message).toMatch(/^cannot listen on \/ip4\/192\.0\.2\.1\/tcp\/7450: it is not an address of this machine; listen on one of this machine's addresses/)
  })

  it('a bootstrap address without /p2p/<peerId> cannot be linked: InvalidAddressError before anything starts', async () => {
    const err = await failure(createRelay({ listen: ['127.0.0.1:0'], bootstrap: ['127.0.0.1:7450'] }))
    expect(err.name).toBe('InvalidAddressError')
    expect(err.message).toMatch(/^bootstrap address "127\.0\.0\.1:7450" has no \/p2p\/<peerId>, so the relay there cannot be linked to/)
  })

  it('maps only libp2p\'s listen failure, leaving other errors alone', () => {
    expect(listenError(new Error('something else'))).toBeUndefined()
    const e = Object.assign(new Error('Some configured addresses failed to be listened on, you may need to ... NO_FATAL:\n\n  /ip4/127.0.0.1/udp/5: UnsupportedListenAddressError: No transport was configured to listen on this address\n      at x (y.ts:1:1)\n'), { name: 'UnsupportedListenAddressesError' })
    expect(listenError(e)?.message).toMatch(/^cannot listen on \/ip4\/127\.0\.0\.1\/udp\/5: no transport was configured to listen on this address; /)
  })
})
