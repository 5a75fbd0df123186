/**
 * Relay addresses as people type them: a multiaddr (`/ip4/127.0.0.1/tcp/7450/p2p/<id>`)
 * or `host:port` (`127.0.0.1:7450`, `localhost:7450`, `[::1]:7450`). A bad one gets an
 * `InvalidAddressError` that shows both accepted forms.
 */
import { isIP } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidAddressError } from './errors.js'

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^:/\s]+)):(\d{1,5})$/

/** The multiaddr string for `input`, which is a multiaddr or `host:port`. */
export function toMultiaddr (input: string, what = 'relay address'): string {
  const text = input.trim()
  if (text.startsWith('/')) {
    try {
      return multiaddr(text).toString()
    } catch (err) {
      throw new InvalidAddressError(`${what} "${input}" is not a valid multiaddr (${(err as Error).message}); write /ip4/127.0.0.1/tcp/7450 or 127.0.0.1:7450`, { cause: err })
    }
  }
  const m = HOST_PORT.exec(text)
  if (m == null) throw new InvalidAddressError(`${what} "${input}" is neither host:port nor a multiaddr; write 127.0.0.1:7450 or /ip4/127.0.0.1/tcp/7450`)
  const host = (m[1] ?? m[2]) as string
  const port = Number(m[3])
  if (port > 65535) throw new InvalidAddressError(`${what} "${input}" has port ${port}, over 65535`)
  const family = isIP(host)
  const proto = family === 4 ? 'ip4' : family === 6 ? 'ip6' : 'dns'
  return `/${proto}/${host}/tcp/${port}`
}

/** The peer id an address names (its `/p2p/` part), if any. */
export function peerIdOf (addr: string): string | undefined {
  return multiaddr(addr).getComponents().find(c => c.name === 'p2p')?.value
}

/** `127.0.0.1:7450`, `[::1]:7450` or `example.org:7450` for a TCP multiaddr; else the address as given. */
export function relayLabel (addr: string): string {
  try {
    const parts = multiaddr(addr).getComponents()
    const host = parts.find(c => ['ip4', 'ip6', 'dns', 'dns4', 'dns6', 'dnsaddr'].includes(c.name))
    const tcp = parts.find(c => c.name === 'tcp')
    if (host?.value == null || tcp?.value == null) return addr
    return `${host.name === 'ip6' ? `[${host.value}]` : host.value}:${tcp.value}`
  } catch {
    return addr // not a multiaddr: said as given
  }
}
