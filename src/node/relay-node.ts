/**
 * `createRelay`: a relay node. libp2p carries everything: agents' session streams,
 * links to other relays, and gossipsub for multicast; the decisions are `RelayCore`'s.
 *
 * With a data directory the relay keeps its identity key (so its peer id survives
 * restarts), the archive and channel metadata, and the addresses of the relays it has
 * linked to (dialled again on start).
 */
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { createRelayLibp2p, rescoreGossipPeer, scoreRelayTopic } from '../p2p/libp2p-node.js'
import { libp2pFrames } from '../p2p/frame-stream.js'
import { PermissionDeniedError } from '../relay/errors.js'
import type { RelayLibp2p } from '../p2p/libp2p-node.js'
import { RelayCore } from '../relay/relay-core.js'
import { resolveQuotas } from '../relay/agent-quotas.js'
import type { LinkKind } from '../relay/policy.js'
import { systemClock } from '../relay/clock.js'
import { openRelayStore } from './relay-store.js'
import { loadOrCreateIdentity } from '../store/identity.js'
import { encodeGossipBatch } from '../wire/codec.js'
import { GossipBatches } from './gossip-batches.js'
import { LINK_PROTOCOL, MULTICAST_TOPIC_PREFIX, SESSION_PROTOCOL } from '../wire/constants.js'
import { RelaySessionActor } from '../actors/relay-session.actor.js'
import type { RelaySessionTimings } from '../actors/relay-session.actor.js'
import { PeerLinkActor } from '../actors/peer-link.actor.js'
import type { PeerLinkTimings } from '../actors/peer-link.actor.js'
import { createLogger } from '../logger.js'
import { peerIdOf, toMultiaddr } from '../names/address.js'
import { InvalidAddressError } from '../names/errors.js'
import { InspectionService } from '../p2p/inspection-service.js'
import { RelayTrust } from '../trust/relay-trust.js'
import { TrustConfigError } from '../trust/errors.js'
import { loadOrCreateDevAuthority } from '../trust/dev-authority.js'
import { LinkAdmission } from '../actors/link-admission.js'
import { ControlClient } from '../control/control-client.js'
import { controlledRelay } from './controlled-relay.js'
import { RelayStats } from './relay-stats.js'
import { relayMetrics } from '../control/relay-metrics.js'
import { startMonitorServer } from '../control/monitor-server.js'
import type { MonitorServer } from '../control/monitor-server.js'

export type { Relay, RelayOptions, RelayPeer, TransitionEvent, TrustOptions } from './relay-types.js'
import type { Relay, RelayOptions } from './relay-types.js'

/** A relay's address to link to: a multiaddr (or `host:port`, which cannot name the peer) ending in `/p2p/<peerId>`. */
function relayAddress (addr: string, what = 'relay address'): string {
  const ma = toMultiaddr(addr, what)
  let id: string | undefined
  try {
    id = peerIdOf(ma)
    if (id != null) peerIdFromString(id)
  } catch (err) {
    throw new InvalidAddressError(`${what} "${addr}" has an invalid peer id after /p2p/ (${(err as Error).message})`, { cause: err })
  }
  if (id == null) throw new InvalidAddressError(`${what} "${addr}" has no /p2p/<peerId>, so the relay there cannot be linked to; write its full address as it prints it, e.g. /ip4/127.0.0.1/tcp/7450/p2p/12D3KooW...`)
  return ma
}

/**
 * The session and link timings a relay runs with unless `timings` says otherwise. An
 * agent pings at least every two keepalive ticks (1.5 s by default), so 15 s of silence
 * is a hung or vanished agent, with room for an agent that ticks every few seconds.
 */
export const DEFAULT_TIMINGS: RelaySessionTimings & PeerLinkTimings = {
  handshakeTimeoutMs: 10_000,
  silenceTimeoutMs: 15_000,
  gracePeriodMs: 30_000,
  keepaliveMs: 750,
  probeIntervalMs: 5_000
}


/**
 * Starts a relay. Operator mistakes fail with one typed error that names the fix:
 * `InvalidAddressError` (a bad listen or bootstrap address), `DataDirInUseError`
 * (another relay has the data directory), `AddressInUseError` or `ListenError`.
 */
export async function createRelay (options: RelayOptions = {}): Promise<Relay> {
  const listen = (options.listen ?? ['/ip4/127.0.0.1/tcp/0']).map(a => toMultiaddr(a, 'listen address'))
  const bootstrap = (options.bootstrap ?? []).map(a => relayAddress(a, 'bootstrap address'))
  const announce = (options.announce ?? []).map(a => toMultiaddr(a, 'announce address'))
  const quotas = resolveQuotas(options.quotas) // an InvalidQuotaError before anything is opened
  let control: ControlClient | undefined
  const relayStore = await openRelayStore(options, (name) => control?.retentionOf(name))
  const store = relayStore.store
  const privateKey = await loadOrCreateIdentity(store)
  const timings = { ...DEFAULT_TIMINGS, ...options.timings }
  const clock = systemClock
  const onTransitionRef: { fn?: (actor: string, from: string, to: string, event: string) => void } = {}
  if (options.control != null) {
    if (options.trust != null) { await store.close(); throw new TrustConfigError('a relay run by a controller gets its trust from it: give `control` or `trust`, not both') }
    const id = peerIdFromPrivateKey(privateKey).toString()
    try {
      control = await ControlClient.start({ ...options.control, store, key: privateKey, peerId: id, log: createLogger(`slim:control:${id.slice(-6)}`), onTransition: (actor, from, to, event) => { onTransitionRef.fn?.(actor, from, to, event) } })
    } catch (err) {
      await store.close()
      throw err
    }
  }
  let node: RelayLibp2p
  // Who gossipsub meshes with: admitted relays only (made below, once trust is known).
  let admission: LinkAdmission | undefined
  try {
    node = await createRelayLibp2p(privateKey, listen, options.transports, {
      admission: options.trust === 'open' ? undefined : (id) => admission?.status(id) ?? 'pending'
    }, { inbound: options.inbound, announce })
  } catch (err) {
    await store.close()
    throw err
  }
  const self = node.peerId.toString()
  const log = createLogger(`slim:relay:${self.slice(-6)}`)
  let trust: RelayTrust | undefined
  let dev: Awaited<ReturnType<typeof loadOrCreateDevAuthority>> | undefined
  try {
    if (options.trust !== 'open') {
      let t = options.trust
      if (control != null) t = { authority: control.authority, credential: control.credential, external: control.state?.state.issuers }
      if (t == null) {
        dev = await loadOrCreateDevAuthority(options.dataDir)
        t = { authority: dev.authority }
      }
      trust = await RelayTrust.create(t, self, store)
    }
  } catch (err) {
    await node.stop()
    await store.close()
    throw err
  }
  if (trust == null) log.warn('OPEN MODE: this relay admits every agent that proves its key, with no credential, and lets it subscribe, serve and publish anywhere; use it for experiments on loopback only')
  else if (dev != null) log.warn({ mesh: trust.mesh, credentials: dev.credentialsPath ?? '(in memory)', created: dev.created }, 'running with a development authority: it admits only credentials it signs; give the relay trust settings for a real mesh')
  const links = new Map<string, PeerLinkActor>()
  const linkAdmission = new LinkAdmission({ trust, log, onChange: (peer) => { rescoreGossipPeer(node, peer) } })
  admission = linkAdmission
  node.addEventListener('peer:disconnect', (evt) => { linkAdmission.forget(evt.detail.toString()) })
  /** Gossip is heard only through admitted relays, and only from relays of the mesh (admitted here, or reached through admitted links). */
  const gossipAllowed = (source: string, from: string): boolean =>
    linkAdmission.isAdmitted(source) && (linkAdmission.isAdmitted(from) || core.table.distance(from) < Infinity)
  const batches = new GossipBatches({
    allowed: linkAdmission.open ? undefined : gossipAllowed,
    onInvalid: (source, from, reason) => { log('invalid multicast batch from %s (through %s), rejected and scored against it: %s', from, source, reason) }
  })
  const sessions = new Map<string, RelaySessionActor>()
  const allSessions = new Set<RelaySessionActor>()
  const topics = new Set<string>()
  const current = new Map<string, string>()
  const inspection = options.inspect === true
    ? new InspectionService(() => [
        // The relay itself first: an inspector knows at once that it is attached.
        { actor: 'relay', from: '', to: 'running', event: 'snapshot', at: Date.now() },
        ...[...current].map(([actor, to]) => ({ actor, from: '', to, event: 'snapshot', at: Date.now() }))
      ], trust?.anchors)
    : undefined
  const sink = typeof options.inspect === 'function' ? options.inspect : undefined
  const onTransition = (options.inspect == null || options.inspect === false) && control == null
    ? undefined
    : (actor: string, from: string, to: string, event: string) => {
        const e = { actor, from, to, event, at: Date.now() }
        // 'renamed': the actor goes on under another label (a session, once its agent is named).
        if (to === 'closed' || to === 'stopped' || to === 'renamed') current.delete(actor)
        else current.set(actor, to)
        sink?.(e)
        inspection?.publish(e)
      }

  onTransitionRef.fn = onTransition
  const core = new RelayCore({
    peerId: self,
    store,
    clock,
    config: options.config,
    policy: options.policy,
    quotas,
    trust: trust?.anchors,
    // Run by a controller: it grants each name's sequencer lease and names its replicas.
    ...(control != null ? { leases: { claim: async (name: string) => await (control as ControlClient).claimLease(name), caughtUp: async (name: string, term: number, replica: string) => { await (control as ControlClient).leaseCaughtUp(name, term, replica) }, onChange: (fn: Parameters<ControlClient['onLease']>[0]) => { (control as ControlClient).onLease(fn) } } } : {}),
    log,
    onTransition,
    io: {
      sendAnnouncement: (peer, ann) => { links.get(peer)?.sendAnnouncement(ann) },
      sendRouted: (peer, r) => { links.get(peer)?.sendRouted(r) },
      linkWritable: (peer) => links.get(peer)?.writable(),
      publish: (name, batch) => {
        node.services.pubsub.publish(MULTICAST_TOPIC_PREFIX + name, encodeGossipBatch(batch)).catch(err => {
          log('publish on %s failed: %s', name, (err as Error).message)
        })
      },
      setTopic: (name, on) => {
        const topic = MULTICAST_TOPIC_PREFIX + name
        const pubsub = node.services.pubsub
        if (on && !topics.has(topic)) {
          topics.add(topic)
          // Checked before gossipsub delivers or forwards a message (src/node/gossip-batches.ts),
          // and scored: a relay whose batches it rejects is scored down, then ignored.
          pubsub.topicValidators.set(topic, batches.validator(topic))
          scoreRelayTopic(node, topic, true)
          pubsub.subscribe(topic)
        }
        if (!on && topics.delete(topic)) { pubsub.unsubscribe(topic); pubsub.topicValidators.delete(topic); scoreRelayTopic(node, topic, false) }
      },
      addrs: () => node.getMultiaddrs().map(String)
    }
  })

  node.services.pubsub.addEventListener('message', (evt) => {
    const msg = evt.detail
    if (!msg.topic.startsWith(MULTICAST_TOPIC_PREFIX) || msg.type !== 'signed') return
    if (!linkAdmission.isAdmitted(msg.from.toString()) && !(core.table.distance(msg.from.toString()) < Infinity)) {
      log('multicast batch from %s, not a relay of this mesh: ignored', msg.from.toString())
      return
    }
    try {
      core.onGossip(msg.from.toString(), batches.take(msg))
    } catch (err) {
      log('bad multicast batch from %s: %s', msg.from.toString(), (err as Error).message)
    }
  })

  const kinds = new Map<string, LinkKind>()
  /** The link to `peer`, made if the policy admits it (undefined if it does not). */
  const linkTo = (peer: PeerId, addrs: Multiaddr[], kind: LinkKind = kinds.get(peer.toString()) ?? 'mesh'): PeerLinkActor | undefined => {
    const id = peer.toString()
    let link = links.get(id)
    if (link == null) {
      const admitted = core.gate.link(id, kind)
      if (admitted !== true) {
        log.warn({ peer: id, kind, reason: admitted.deny }, 'link refused by the relay\'s policy (admitLink)')
        return undefined
      }
      kinds.set(id, kind)
      link = new PeerLinkActor({
        node,
        peer,
        addrs,
        kind,
        core,
        clock,
        timings,
        admission: linkAdmission,
        revocations: () => trust?.revocations() ?? [],
        onRevocations: (p, list) => { void takeRevocations(p, list) },
        log,
        onTransition,
        onUp: (p) => {
          const known = node.getConnections(peer).map(c => c.remoteAddr.toString())
          const announced = core.table.addrsOf(p)
          const keep = announced.length > 0 ? announced : addrs.map(String)
          if (keep.length > 0 || known.length > 0) void store.put(`peer/${p}`, new TextEncoder().encode(JSON.stringify(keep))).catch(err => { log('saving the address of %s: %s', p, (err as Error).message) })
        }
      })
      links.set(id, link)
    }
    return link
  }

  /** Revocations an agent handed in: each taken is passed back to it (new ones reach every session anyway). */
  const takeAgentRevocations = (list: string[], from: RelaySessionActor): void => {
    void (async () => {
      for (const jwt of list.slice(0, 64)) {
        try {
          if (trust == null) throw new TrustConfigError('this relay runs in open mode')
          const r = await trust.revoke(jwt)
          if (r == null) from.passOn([jwt])
        } catch (err) {
          log.warn({ agent: from.agentName, error: (err as Error).message }, 'revocation refused')
        }
      }
    })()
  }

  await node.handle(SESSION_PROTOCOL, (stream) => {
    const s = new RelaySessionActor({ frames: libp2pFrames(stream), core, relayPeerId: self, clock, timings, registry: sessions, trust: trust?.anchors, revocations: () => trust?.revocations() ?? [], onRevocations: takeAgentRevocations, onTransition, log })
    allSessions.add(s)
    stream.addEventListener('close', () => { if (s.state === 'closed') allSessions.delete(s) })
  }, { maxInboundStreams: options.maxSessionsPerConnection ?? 8 }) // an agent needs one session stream; a loop of opens is refused, not served

  /** Revocations an admitted relay passed on: each is checked and kept (a known one stops there, so the flood ends). */
  const takeRevocations = async (peer: string, list: string[]): Promise<void> => {
    if (trust == null) return
    // Every link that comes up brings all the revocations its peer holds: skip the known ones before checking signatures.
    const held = new Set(trust.revocations())
    for (const jwt of list) {
      if (held.has(jwt)) continue
      try { await trust.revoke(jwt) } catch (err) { log.warn({ peer, error: (err as Error).message }, 'a relay passed on a revocation that does not verify: ignored') }
    }
  }
  // A new revocation goes to every linked relay; a relay whose own credential it revokes is cut.
  trust?.onRevoked((r) => {
    for (const [peer, link] of links) if (core.linkKind(peer) != null) link.sendRevocations([r.jwt])
    linkAdmission.recheck((peer, err) => { links.get(peer)?.refuse(err) })
  })
  linkAdmission.start((peer, err) => { links.get(peer)?.refuse(err) })

  // The peer id is the one the connection's Noise handshake authenticated; its hello is checked against it.
  await node.handle(LINK_PROTOCOL, (stream, connection) => {
    const link = linkTo(connection.remotePeer, [])
    if (link == null) { stream.abort(new PermissionDeniedError('this relay\'s policy does not admit a link from you', 'admitLink')); return }
    link.inbound(stream)
  }, { maxInboundStreams: 4, maxOutboundStreams: 4 })

  await core.start()
  await inspection?.start(node)

  // Sessions whose credential is revoked, or runs out, are cut (a revocation at once, an expiry within a second).
  const recheck = (): void => {
    if (trust == null) return
    for (const s of allSessions) {
      const c = s.credential
      if (c == null || s.state === 'closed') continue
      try { trust.anchors.recheck(c) } catch (err) { s.revoke((err as Error).message) }
    }
  }
  trust?.onRevoked((r) => {
    log.info({ revocation: r.id, credential: r.credential, key: r.key, by: r.by }, 'revocation taken')
    recheck()
    for (const s of allSessions) if (s.state.startsWith('active')) s.passOn([r.jwt])
  })
  const expiryTimer = trust != null ? setInterval(recheck, 1000) : undefined
  expiryTimer?.unref()
  relayStore.start()

  // Relays linked before a restart, then the bootstrap list.
  for (const [key, value] of await store.list('peer/')) {
    try {
      const addrs = (JSON.parse(new TextDecoder().decode(value)) as string[]).map(a => multiaddr(a))
      linkTo(peerIdFromString(key.slice('peer/'.length)), addrs)
    } catch (err) {
      log('forgetting unreadable peer record %s: %s', key, (err as Error).message)
    }
  }
  const dial = (addr: string, dialOptions: { kind?: LinkKind } = {}): void => {
    const ma = multiaddr(relayAddress(addr))
    const id = peerIdOf(ma.toString()) as string
    if (id === self) return
    const known = links.get(id)
    if (known != null) known.addAddrs([ma])
    else linkTo(peerIdFromString(id), [ma], dialOptions.kind)
  }
  for (const addr of bootstrap) dial(addr)
  let stopped = false
  const stats = new RelayStats({ peerId: self, mesh: trust?.mesh, core, sessions: () => allSessions, links: () => links, startedAt: Date.now() })
  let monitor: MonitorServer | undefined
  const relay: Relay = {
    peerId: self,
    get multiaddrs () { return node.getMultiaddrs().map(String) },
    agents: () => core.agentNames().filter(n => core.isAttached(n)),
    neighbours: () => core.neighbourIds,
    dial,
    peers: () => [...links.keys()].map(id => ({
      peerId: id,
      kind: kinds.get(id) ?? 'mesh',
      linked: core.linkKind(id) != null,
      addrs: core.table.addrsOf(id)
    })),
    dropLink: async (peerId: string) => {
      const link = links.get(peerId)
      links.delete(peerId)
      kinds.delete(peerId)
      // A store that is closing forgets nothing it must keep: the peer would only be redialled on restart.
      await store.del(`peer/${peerId}`).catch(err => { log('forgetting %s: %s', peerId, (err as Error).message) })
      await link?.close()
      log.info({ peer: peerId }, 'link dropped by the operator')
    },
    configure: (changes) => {
      if (changes.config != null) Object.assign(core.config, changes.config)
      if (changes.policy != null) core.gate.set(changes.policy)
      if (changes.quotas != null) core.quotas.set(changes.quotas)
    },
    mesh: trust?.mesh,
    devCredentials: dev?.credentials,
    devCredentialsPath: dev?.credentialsPath,
    devAdminCredentials: dev?.admin,
    devAdminCredentialsPath: dev?.adminPath,
    revoke: async (revocation: string) => {
      if (trust == null) throw new TrustConfigError('this relay runs in open mode: it holds no trust to revoke from')
      return await trust.revoke(revocation)
    },
    denials: () => core.gate.denialsByAgent,
    ...(control != null ? { control: { get status () { return control.status }, get generation () { return control.generation }, items: () => control.items() } } : {}),
    summary: () => stats.summary(),
    archive: async (name) => await store.extent(name),
    get metricsUrl () { return monitor != null ? `${monitor.url}/metrics` : undefined },
    stop: async () => {
      if (stopped) return
      stopped = true
      control?.stop()
      await monitor?.close()
      stats.stop()
      clearInterval(expiryTimer)
      relayStore.stop()
      linkAdmission.stop()
      for (const s of allSessions) s.stop()
      await core.stop()
      await inspection?.stop()
      await Promise.all([...links.values()].map(async l => { await l.close() }))
      await node.stop()
      await store.close()
      log.info('relay stopped')
    }
  }
  if (options.metrics != null) {
    try {
      monitor = await startMonitorServer({ listen: options.metrics.listen, token: options.metrics.token, registry: relayMetrics(stats.source), health: () => ({ peerId: self }), ready: () => stats.readiness(!stopped), log })
    } catch (err) {
      await relay.stop()
      throw err
    }
  }
  log.info({ peerId: self, listen: node.getMultiaddrs().map(String), dataDir: options.dataDir ?? null, ...(monitor != null ? { metrics: relay.metricsUrl } : {}) }, 'relay started')
  cores.set(relay, core)
  admissions.set(relay, linkAdmission)
  nodes.set(relay, node)
  control?.attach(controlledRelay(relay, { actors: () => [...current].map(([actor, state]) => ({ actor, state })), setExternalIssuers: (list) => { trust?.anchors.setExternal(list) } }), options.policy)
  return relay
}

const admissions = new WeakMap<Relay, LinkAdmission>()
const nodes = new WeakMap<Relay, RelayLibp2p>()

/** A relay's libp2p node (its gossipsub, to see scores and meshes): for tests and tools in this repository. */
export function relayLibp2p (relay: Relay): RelayLibp2p {
  const n = nodes.get(relay)
  if (n == null) throw new TypeError('not a relay made by createRelay')
  return n
}

/** A relay's link admission (who it admitted, its refusals by check): for tests and tools in this repository. */
export function relayAdmission (relay: Relay): LinkAdmission {
  const a = admissions.get(relay)
  if (a == null) throw new TypeError('not a relay made by createRelay')
  return a
}

/** Each relay's logic, kept outside the object so it is not part of the public API. */
const cores = new WeakMap<Relay, RelayCore>()

/**
 * A relay's logic (`RelayCore`: its tables, gate, sequencers). For tests, simulations
 * and tools inside this repository; not exported from the package.
 */
export function relayInternals (relay: Relay): RelayCore {
  const core = cores.get(relay)
  if (core == null) throw new TypeError('not a relay made by createRelay')
  return core
}
