/**
 * The relay's public shapes: what `createRelay` takes (`RelayOptions`) and what it gives
 * (`Relay`). The assembly is in ./relay-node.ts.
 */
import type { ArchiveExtent } from '../store/retention.js'
import type { RelayConfig } from '../relay/types.js'
import type { RelayQuotas } from '../relay/agent-quotas.js'
import type { LinkKind, RelayPolicy } from '../relay/policy.js'
import type { InboundLimits, TransportName } from '../p2p/libp2p-node.js'
import type { RelaySessionTimings } from '../actors/relay-session.actor.js'
import type { PeerLinkTimings } from '../actors/peer-link.actor.js'
import type { TransitionEvent } from '../p2p/inspection-service.js'
import type { TrustOptions } from '../trust/relay-trust.js'
import type { AgentCredentials } from '../trust/credentials-file.js'
import type { Revocation } from '../trust/revocations.js'
import type { ControlOptions } from '../control/control-client.js'
import type { RelaySummary } from '../control/types.js'

export interface RelayOptions {
  /** Addresses to listen on, multiaddrs or `host:port`; default `/ip4/127.0.0.1/tcp/0`. */
  listen?: string[]
  /**
   * Transports to listen and dial on, default `['tcp']`; `'websockets'` listens on `/ws`
   * addresses (`/ip4/0.0.0.0/tcp/7451/ws`), for browser agents. Which one listens where
   * follows `listen`; an address whose transport is left out is a `ListenError`.
   */
  transports?: TransportName[]
  /**
   * Inbound connections not yet upgraded (src/p2p/pending-inbound.ts): `maxPendingPerHost`
   * (32) per remote IP, more are closed at once, so one host's stalled handshakes cannot
   * lock others out; `maxPending` (256) for all hosts; `upgradeTimeoutMs` (5000) to finish
   * the Noise and Yamux handshakes.
   */
  inbound?: Partial<InboundLimits>
  /**
   * Addresses other relays and agents are told to dial this relay at, instead of the
   * listen addresses (multiaddrs or `host:port`): a relay behind a port forward, a NAT or
   * a proxy. Default: the listen addresses.
   */
  announce?: string[]
  /** Relays to link to, as multiaddrs ending in `/p2p/<peerId>`. */
  bootstrap?: string[]
  /** Where the embedded store lives; in memory without one. */
  dataDir?: string
  /**
   * What each name's archive keeps at most (0: no limit), default 7 days and 1 GiB per
   * name; older messages are trimmed, and a subscription asking for them fails with
   * `HistoryTrimmedError` (its `oldest` is where the archive starts). A controller's
   * per-name policy overrides it field by field. `sweepMs`: how often age limits are
   * checked (default 10 s).
   */
  retention?: { maxAgeMs?: number, maxBytes?: number, maxMessages?: number, sweepMs?: number }
  /**
   * Quotas per agent at this relay (src/relay/agent-quotas.ts; 0: no limit). Past one, the
   * request that would cross it fails with `QuotaExceededError` (its `quota` and `limit`
   * say which), and nothing else does. `subscriptions` (16,384): names one agent is
   * subscribed to at once, served names and channels included. `names` (16,384): distinct
   * multicast names one agent published to in the last `namesWindowMs` (60 s), each of
   * which has a sequencer and an archive in the mesh. `bytesInFlight` (64 MiB): bytes of
   * one agent's publishes taken and not yet acknowledged. A bad value is an `InvalidQuotaError`.
   */
  quotas?: Partial<RelayQuotas>
  /** Routing and multicast settings (mostly for tests and simulations). */
  config?: Partial<RelayConfig>
  /** Session and link timings. */
  timings?: Partial<RelaySessionTimings & PeerLinkTimings>
  /**
   * Inspection, off by default: a function is called with every actor transition;
   * `true` serves them to `slim-mesh inspect` over `/slim/inspect/1.0.0`.
   */
  inspect?: boolean | ((event: TransitionEvent) => void)
  /**
   * Admission and permission hooks (src/relay/policy.ts), in the style of libp2p's
   * connection gater; none: everything is allowed, as before.
   */
  policy?: RelayPolicy
  /**
   * Whom the relay trusts (src/trust): the mesh authority (its public key, or itself to
   * sign this relay's credential), this relay's credential, external issuers. Without
   * it the relay makes a development authority (in `dataDir`, or in memory) and admits
   * only credentials it signs (`relay.devCredentials`). `'open'` admits every agent that
   * proves its key, with no credential: for experiments on loopback, and said loudly.
   */
  trust?: TrustOptions | 'open'
  /**
   * Run by a controller (src/control): register with a join token on first start (the
   * relay's credential and the mesh's desired state come from it), then apply each new
   * generation, heartbeat, and keep running on the last applied state when the
   * controller is away. Goes instead of `trust` and `bootstrap`.
   */
  control?: ControlOptions
  /**
   * Serves `/metrics` (Prometheus; with `token`, only to `Authorization: Bearer <token>`,
   * which an address off loopback needs), `/healthz` and `/readyz` over HTTP on `listen`
   * (`host:port`, port 0 for a free one). Loopback unless the address says otherwise.
   */
  metrics?: { listen: string, token?: string }
  /**
   * Agent sessions one connection may carry at once, default 8 (an agent needs one; a
   * loop of opens is refused). A gateway that hosts many agents behind one node, or a
   * test that attaches thousands, raises it (yamux still caps a connection at 1,000).
   */
  maxSessionsPerConnection?: number
}

export type { TransitionEvent, TrustOptions }

/** One relay this relay links to, or has been told to. */
export interface RelayPeer {
  peerId: string
  kind: LinkKind
  /** The link is up now. */
  linked: boolean
  /** Its addresses, as announced (or as it was dialled). */
  addrs: string[]
}

export interface Relay {
  readonly peerId: string
  readonly multiaddrs: string[]
  /** Agents attached here now. */
  agents: () => string[]
  /** Relays linked to this one now. */
  neighbours: () => string[]
  /** Links this relay to another one at runtime (a multiaddr ending in /p2p/<peerId>); `kind` defaults to `mesh`. */
  dial: (addr: string, options?: { kind?: LinkKind }) => void
  /** The relays this one links to (or keeps trying to). */
  peers: () => RelayPeer[]
  /** Closes the link to `peerId` and forgets it (it is not dialled again after a restart). */
  dropLink: (peerId: string) => Promise<void>
  /**
   * New settings at run time: `config` values apply from their next use (announcement
   * interval, timeouts, limits), `policy` from the next check, `quotas` from the next
   * request (what agents hold already stays held).
   */
  configure: (changes: { config?: Partial<RelayConfig>, policy?: RelayPolicy, quotas?: Partial<RelayQuotas> }) => void
  /** The mesh id (the authority's key thumbprint); undefined in open mode. */
  readonly mesh?: string
  /**
   * With the development authority (no `trust` given): an issuer for every name, to
   * connect local agents with (`connectAgent({ credentials: relay.devCredentials })`).
   */
  readonly devCredentials?: AgentCredentials
  /** Where the development credentials are kept (with a data directory). */
  readonly devCredentialsPath?: string
  /** With the development authority: an admin credential (for `slim-mesh inspect`), and where it is kept. */
  readonly devAdminCredentials?: AgentCredentials
  readonly devAdminCredentialsPath?: string
  /**
   * Takes a signed revocation (`slim-mesh credential revoke`): checks it, keeps it across
   * restarts, passes it to every relay of the mesh and cuts the sessions it revokes.
   * Resolves with it, or undefined if it was known already; a bad one is a `CredentialError`.
   */
  revoke: (revocation: string) => Promise<Revocation | undefined>
  /** With a controller: the registration actor's state, the generation applied, and each item's status. */
  readonly control?: { readonly status: string, readonly generation: number, items: () => Array<{ id: string, status: string, reason?: string }> }
  /** Refusals so far, by agent and name (what the control plane and anomaly detection read). */
  denials: () => Map<string, Map<string, number>>
  /**
   * What the relay reports to the control plane: its counters since it started, sessions,
   * sequencer heads and lags, links with their round-trip times, queued bytes and the
   * event-loop delay (p99 since the previous call).
   */
  summary: () => RelaySummary
  /**
   * What this relay's archive of `name` holds, as its retention counts it: the oldest
   * sequence number kept, the head, bytes and messages.
   */
  archive: (name: string) => Promise<ArchiveExtent>
  /** Where its Prometheus metrics are served (`http://127.0.0.1:PORT/metrics`), with `metrics` set. */
  readonly metricsUrl?: string
  stop: () => Promise<void>
}

