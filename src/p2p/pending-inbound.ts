/**
 * A per-host cap on inbound connections that have not finished their upgrade (the
 * multistream-select, Noise and Yamux handshakes), as libp2p connection-gater hooks.
 *
 * libp2p 3 has one global cap on pending inbound connections
 * (`connectionManager.maxIncomingPendingConnections`) and refuses every new connection
 * while it is reached, so one host that opens hundreds of TCP connections and sends
 * nothing on them (or a few bytes of the handshake) locks every other agent out until
 * the upgrade timeout frees them. Counting per remote IP and refusing a host past its
 * share keeps that host from filling the global pool: `denyInboundConnection` runs once
 * the connection manager has counted a connection pending, and a refusal there releases
 * that slot at once and closes the socket (src: libp2p/dist/src/upgrader.js
 * `upgradeInbound`, @libp2p/tcp's listener aborts the connection on a failed upgrade).
 *
 * A connection stops counting when its upgrade finishes (`denyInboundUpgradedConnection`)
 * or when it closes, whichever comes first (a timed-out upgrade is aborted, so closed).
 */
import type { MultiaddrConnection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface PendingInboundInit {
  /** Pending inbound connections one remote IP may hold; past it, new ones are closed at once. */
  maxPerHost: number
}

export interface PendingInboundStats {
  /** Connections refused because their host held `maxPerHost` pending already. */
  refused: number
  /** Pending connections now, by host. */
  pending: Map<string, number>
}

/** The host part (an IP address, or a DNS name) of a connection's remote address; undefined if it has none. */
export function remoteHost (addr: Multiaddr): string | undefined {
  for (const c of addr.getComponents()) {
    if (c.name === 'ip4' || c.name === 'ip6' || c.name === 'dns' || c.name === 'dns4' || c.name === 'dns6') return c.value
  }
  return undefined
}

export class PendingInboundLimiter {
  readonly maxPerHost: number
  private readonly pending = new Map<string, number>()
  /** The host each connection being counted is counted against. */
  private readonly counted = new WeakMap<MultiaddrConnection, string>()
  private refusedCount = 0

  constructor (init: PendingInboundInit) {
    this.maxPerHost = init.maxPerHost
  }

  get stats (): PendingInboundStats { return { refused: this.refusedCount, pending: new Map(this.pending) } }

  /** The connection-gater hooks to give libp2p (`connectionGater`). */
  gater (): { denyInboundConnection: (c: MultiaddrConnection) => boolean, denyInboundUpgradedConnection: (peer: unknown, c: MultiaddrConnection) => boolean } {
    return {
      denyInboundConnection: (c) => !this.admit(c),
      denyInboundUpgradedConnection: (_peer, c) => { this.release(c); return false }
    }
  }

  /** Counts `c` against its host; false (refuse it) if the host holds its share already. */
  admit (c: MultiaddrConnection): boolean {
    const host = remoteHost(c.remoteAddr)
    if (host == null) return true
    const n = this.pending.get(host) ?? 0
    if (n >= this.maxPerHost) { this.refusedCount++; return false }
    this.pending.set(host, n + 1)
    this.counted.set(c, host)
    c.addEventListener('close', () => { this.release(c) }, { once: true })
    return true
  }

  /** `c` is no longer pending (upgraded or closed); counted once whichever comes first. */
  release (c: MultiaddrConnection): void {
    const host = this.counted.get(c)
    if (host == null) return
    this.counted.delete(c)
    const n = (this.pending.get(host) ?? 1) - 1
    if (n <= 0) this.pending.delete(host)
    else this.pending.set(host, n)
  }
}
