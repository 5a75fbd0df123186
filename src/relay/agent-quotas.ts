/**
 * Quotas per agent, kept by the relay the agent is attached to, so that one agent cannot
 * take the relay's memory (or the mesh's names) from the others. Past a quota only the
 * request that would cross it is refused, with `QUOTA_EXCEEDED` (`QuotaExceededError` at
 * the agent, naming the quota and its limit); the session and the agent's other requests
 * within quota go on, and other agents are not touched. Each refusal is counted
 * (`RelayCounters.quotaRefusals`). 0 for a limit means no limit.
 *
 * - `subscriptions`: names the agent is subscribed to at once (its own inbox does not
 *   count). Served names and channels are subscriptions too (serving a name is receiving
 *   it as an instance; a channel member subscribes to the channel), so this is also how
 *   many distinct names an agent holds at the relay: a second "names held" quota beside
 *   it would count the same thing. Freed by unsubscribing.
 * - `names`: distinct multicast names (services and channels) the agent published to in
 *   the last `namesWindowMs`. Every such name has a sequencer, an archive and a gossip
 *   topic somewhere in the mesh, made on its first publish and retired once idle; this
 *   bounds how fast one agent can make them (what NATS calls streams), where unicast and
 *   anycast only follow routes that exist already and are not counted. A name published
 *   to again within the window is not new; one unused for the window is free again.
 * - `bytesInFlight`: bytes of the agent's publishes the relay has taken but not yet
 *   answered (the sequencer's acknowledgement, or the forward's result for unicast and
 *   anycast), each counted as its payload plus 160 bytes for the envelope, as the session
 *   stream counts it. Publishes nobody acknowledges (fire and forget, requests answered by
 *   their reply, replies) are not held, so not counted. Keep it above the largest payload
 *   (1 MiB), or a message that size never goes. A publish not answered within
 *   `sequencerWaitMs + requestTimeoutMs` (its answer was lost with a link) stops counting.
 */
import type { Envelope } from '../wire/envelope.pb.js'
import { idKey } from './dedup-window.js'
import type { Clock } from './clock.js'
import type { RelayCounters } from './counters.js'
import { InvalidQuotaError, QuotaExceededError } from './errors.js'
import type { QuotaName } from './errors.js'

export type { QuotaName }

export interface RelayQuotas {
  /** Names one agent may be subscribed to at once (0: no limit). */
  subscriptions: number
  /** Distinct multicast names one agent may publish to within `namesWindowMs` (0: no limit). */
  names: number
  /** The window of `names`, in milliseconds. */
  namesWindowMs: number
  /** Bytes of one agent's publishes taken and not yet answered (0: no limit). */
  bytesInFlight: number
}

/**
 * Large enough for real agents: a gateway subscribed to 10,000 names (the idle-memory
 * test does that per agent), a publisher to as many names as it may subscribe to, and
 * 64 MiB in flight (64 of the largest payloads; a pipelined publisher of 1 KiB messages
 * with 2,000 unanswered holds about 2.3 MiB).
 */
export const DEFAULT_RELAY_QUOTAS: RelayQuotas = {
  subscriptions: 16_384,
  names: 16_384,
  namesWindowMs: 60_000,
  bytesInFlight: 64 * 1024 * 1024
}

/** What a publish is counted as beside its payload (the session stream counts the same). */
const ENVELOPE_BYTES = 160

/** The quotas with `given` over the defaults, each checked (InvalidQuotaError names a bad one). */
export function resolveQuotas (given: Partial<RelayQuotas> = {}, base: RelayQuotas = DEFAULT_RELAY_QUOTAS): RelayQuotas {
  const out = { ...base }
  for (const [k, v] of Object.entries(given) as Array<[keyof RelayQuotas, unknown]>) {
    if (!Object.hasOwn(DEFAULT_RELAY_QUOTAS, k)) throw new InvalidQuotaError(`the relay has no quota "${k}"; its quotas are ${Object.keys(DEFAULT_RELAY_QUOTAS).join(', ')}`)
    if (v === undefined) continue
    const min = k === 'namesWindowMs' ? 1 : 0
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new InvalidQuotaError(`the relay's quotas.${k} is ${JSON.stringify(v)}; it must be a whole number, ${min} or more${min === 0 ? ' (0: no limit)' : ''} (default ${DEFAULT_RELAY_QUOTAS[k]})`)
    out[k] = v
  }
  return out
}

interface Usage {
  /** Multicast names published to, by when last, in the order of last use (oldest first). */
  names: Map<string, number>
  /** Publishes taken and not answered, by message id, in the order taken. */
  inFlight: Map<string, { bytes: number, at: number }>
  bytes: number
}

export interface AgentQuotasInit {
  self: string
  clock: Clock
  counters: RelayCounters
  quotas?: Partial<RelayQuotas>
  /** How long an unanswered publish counts at most (read at each use). */
  answerWithinMs: () => number
}

export class AgentQuotas {
  private limits: RelayQuotas
  private readonly init: AgentQuotasInit
  private readonly usage = new Map<string, Usage>()

  constructor (init: AgentQuotasInit) {
    this.init = init
    this.limits = resolveQuotas(init.quotas)
  }

  get quotas (): Readonly<RelayQuotas> { return this.limits }
  /** New limits at run time, over the current ones (what is held already stays). */
  set (quotas: Partial<RelayQuotas>): void { this.limits = resolveQuotas(quotas, this.limits) }

  private refuse (quota: QuotaName, what: string, fix: string): QuotaExceededError {
    this.init.counters.quotaRefusals[quota]++
    return QuotaExceededError.of(quota, this.limits[quota], `${what} at relay ${this.init.self}`, fix)
  }

  /** Throws QuotaExceededError if `agent`, subscribed to `held` names, may not subscribe to one more. */
  checkSubscribe (agent: string, name: string, held: number): void {
    const limit = this.limits.subscriptions
    if (limit > 0 && held >= limit) throw this.refuse('subscriptions', `${agent} may not subscribe to ${name}: it is subscribed to ${held} names`, 'unsubscribe from one first')
  }

  /**
   * Takes `env` from `agent` into its quotas; the refusal's reason instead if it would
   * cross one (nothing is taken then).
   */
  take (agent: string, env: Envelope, multicast: boolean): string | undefined {
    const { names: maxNames, namesWindowMs, bytesInFlight: maxBytes } = this.limits
    // Only what is answered is held until answered (see the file's comment).
    const held = !env.noAck && (multicast || (!env.expectsReply && env.correlationId.byteLength === 0))
    if (!(multicast && maxNames > 0) && !(held && maxBytes > 0)) return undefined
    const now = this.init.clock.now()
    let u = this.usage.get(agent)
    if (u == null) { u = { names: new Map(), inFlight: new Map(), bytes: 0 }; this.usage.set(agent, u) }
    const name = env.destination
    const newName = multicast && maxNames > 0 && !u.names.has(name)
    if (newName) {
      for (const [n, at] of u.names) { if (now - at < namesWindowMs) break; u.names.delete(n) }
      if (u.names.size >= maxNames) return this.refuse('names', `${agent} may not publish to ${name}: it published to ${u.names.size} other names in the last ${namesWindowMs} ms`, 'publish to names it used already, or wait for one to go unused').message
    }
    let key: string | undefined
    if (held && maxBytes > 0) {
      key = idKey(env.messageId)
      this.expire(u, now)
      if (u.inFlight.has(key)) key = undefined // sent again after a reconnect: counted already
      else {
        const bytes = env.payload.byteLength + ENVELOPE_BYTES
        if (u.bytes + bytes > maxBytes) return this.refuse('bytesInFlight', `${agent} may not publish ${bytes} bytes to ${name}: ${u.bytes} bytes of its publishes are not answered yet`, 'wait for its publishes to be acknowledged').message
        u.inFlight.set(key, { bytes, at: now })
        u.bytes += bytes
      }
    }
    if (multicast && maxNames > 0) { u.names.delete(name); u.names.set(name, now) }
    return undefined
  }

  /** An answer to `agent`'s publish `messageId` reached it: its bytes are free. */
  answered (agent: string, messageId: Uint8Array): void {
    const u = this.usage.get(agent)
    if (u == null || u.inFlight.size === 0) return
    const key = idKey(messageId)
    const e = u.inFlight.get(key)
    if (e == null) return
    u.inFlight.delete(key)
    u.bytes -= e.bytes
  }

  /** Unanswered publishes older than the answer could take: their answer was lost. */
  private expire (u: Usage, now: number): void {
    const within = this.init.answerWithinMs()
    for (const [key, e] of u.inFlight) {
      if (now - e.at < within) break
      u.inFlight.delete(key)
      u.bytes -= e.bytes
    }
  }

  /** What `agent` holds now: names in the window, bytes in flight. */
  usageOf (agent: string): { names: number, bytesInFlight: number } {
    const u = this.usage.get(agent)
    return { names: u?.names.size ?? 0, bytesInFlight: u?.bytes ?? 0 }
  }

  /** The agent left: it holds nothing. */
  forget (agent: string): void { this.usage.delete(agent) }
}
