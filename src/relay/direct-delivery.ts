/**
 * Anycast and unicast (docs/ARCHITECTURE.md, "Routes"): pick the instance (nearest first,
 * round robin among the nearest, for anycast; the named one for unicast), then deliver it
 * to the agent attached here or route it toward the relay that hosts it. The relay that
 * hands it to the agent acknowledges it; a request is acknowledged by its reply.
 *
 * It also remembers where agents were last heard from (a reply goes back the way its
 * request came even before route announcements arrive) and which deliveries were made (a
 * publish resent after a reconnect is acknowledged, not delivered twice).
 */
import { DeliveryMode, MessageType } from '../wire/envelope.pb.js'
import type { Envelope, Routed } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import { DEFAULT_HOP_LIMIT } from '../wire/constants.js'
import { serviceOf } from '../names/names.js'
import type { AgentName } from '../names/names.js'
import type { ForwardingTable } from './forwarding-table.js'
import { DedupWindow, idKey } from './dedup-window.js'
import { nack } from './delivery-mode.js'
import type { RelayCounters } from './counters.js'
import type { WriteDeadlines } from './write-deadlines.js'
import type { AgentPort, RelayConfig } from './types.js'
import type { SequencerOrigin } from '../machines/sequencer.machine.js'
import type { SequencerAck } from './sequencer.actor.js'
import { rememberRequest } from './agent-record.js'
import type { AgentRecord } from './agent-record.js'

export interface DirectDeliveryInit {
  self: string
  table: ForwardingTable
  config: RelayConfig
  counters: RelayCounters
  deadlines: WriteDeadlines
  /** The agent attached here (or briefly away) with this instance id. */
  agentByInstance: (instance: string) => AgentRecord | undefined
  /** Sends a routed frame one hop toward `r.to`. */
  route: (r: Routed) => void
  /** Answers the publisher, here or at its relay. */
  ackOrigin: (origin: SequencerOrigin, ack: SequencerAck) => void
}

export class DirectDelivery {
  private readonly init: DirectDeliveryInit
  /** The origin relay of every routed envelope, by its source. */
  private readonly locations = new DedupWindow<string>(16_384)
  /** Deliveries made, by source and message id. */
  private readonly delivered = new DedupWindow(65_536)

  constructor (init: DirectDeliveryInit) { this.init = init }

  /**
   * Picks the instance and delivers here or routes toward its relay.
   * `source`: the sending agent's session when it is attached here (for backpressure).
   */
  send (env: Envelope, origin: SequencerOrigin, source?: AgentPort): void {
    const { table, self } = this.init
    let relay: string | undefined
    let instance: string
    if (env.mode === DeliveryMode.UNICAST) {
      const dest = env.destination.split('/')
      if (dest.length !== 4) { this.init.ackOrigin(origin, nack(env, ErrorCode.INVALID_NAME, `unicast goes to an agent name org/namespace/service/instance, not "${env.destination}"`)); return }
      instance = dest[3] as string
      relay = table.findInstance(dest.slice(0, 3).join('/'), instance) ?? this.locations.get(env.destination)
    } else {
      const target = table.pickAnycast(serviceOf(env.destination as AgentName))
      relay = target?.relay
      instance = target?.instance ?? ''
    }
    if (relay == null) { this.init.ackOrigin(origin, nack(env, ErrorCode.NO_ROUTE, `no route to ${env.destination}`)); return }
    if (relay === self) { this.deliverLocal(env, instance, origin, source); return }
    this.init.route({ to: relay, from: origin.relay, hopLimit: DEFAULT_HOP_LIMIT, envelope: env, instance })
  }

  /** An anycast or unicast envelope routed here from relay `from`. */
  arrived (env: Envelope, instance: string, from: string): void {
    this.locations.set(env.source, from)
    this.deliverLocal(env, instance !== '' ? instance : (env.destination.split('/')[3] ?? ''), { relay: from, agent: env.source })
  }

  private deliverLocal (env: Envelope, instance: string, origin: SequencerOrigin, source?: AgentPort): void {
    const { table, self, config, ackOrigin } = this.init
    const service = serviceOf(env.destination as AgentName)
    let rec = this.init.agentByInstance(instance)
    if (env.mode === DeliveryMode.ANYCAST) {
      // An anycast instance is an agent serving the service (subscribed, and allowed to serve).
      if (rec != null && !table.isLocalInstance(service, rec.instance)) rec = undefined
      if (rec == null) {
        const alt = table.localInstances(service)[0]
        if (alt != null) rec = this.init.agentByInstance(alt)
      }
    } else if (rec != null && rec.name !== env.destination) {
      rec = undefined
    }
    if (rec == null) { ackOrigin(origin, nack(env, ErrorCode.NO_ROUTE, `no instance of ${env.destination} at relay ${self}`)); return }
    if (env.mode === DeliveryMode.UNICAST && env.type === MessageType.MSG && env.correlationId.byteLength === 0 && !rec.inbox && !rec.subs.has(rec.service)) {
      // Acknowledging it would be a lie: nothing at the agent would read it.
      ackOrigin(origin, nack(env, ErrorCode.NO_ROUTE, `${rec.name} is connected but takes no unicast: it has neither its inbox open nor a subscription to ${rec.service}`))
      return
    }
    // A request is acknowledged by its reply, and a reply needs none: only failures are
    // reported for them, which saves a frame each way on the request/reply path.
    const ackless = env.noAck || env.expectsReply || env.correlationId.byteLength > 0
    if (!this.delivered.add(env.source + idKey(env.messageId))) {
      // Sent again after a reconnect: acknowledge, but do not deliver twice.
      if (!ackless) ackOrigin(origin, { messageId: env.messageId, seq: 0, code: 0, reason: '', epoch: 0 })
      return
    }
    rememberRequest(rec, env)
    if (rec.port != null) {
      rec.port.deliver(env)
      // A local sender outrunning a local receiver: stop reading the sender until the
      // receiver drains, so the backlog stays bounded and backpressure reaches the sender.
      if (source != null && source !== rec.port && rec.port.backlogged()) source.pauseUntil?.(this.init.deadlines.wait(rec.port, rec.name))
    } else if (rec.away.length < config.awayBufferLimit) {
      rec.away.push(env)
    } else {
      ackOrigin(origin, nack(env, ErrorCode.UNAVAILABLE, `${rec.name} is away and its buffer is full`))
      return
    }
    this.init.counters.deliveries++
    if (!ackless) ackOrigin(origin, { messageId: env.messageId, seq: 0, code: 0, reason: '', epoch: 0 })
  }
}
