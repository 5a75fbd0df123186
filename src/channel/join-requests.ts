/**
 * Requests to join a channel, as its members see them (the asking side is
 * ./channel-join-request.actor.ts).
 *
 * The wire (docs/ARCHITECTURE.md, "Asking to join"): no message type of its own. A
 * request is a `JoinRequest` sent multicast to the channel's name with `slim.join: ask`
 * (an invitation's JoinRequest goes unicast to the invitee and has no `slim.join`), its
 * payload the requester's key package, `slim.join.expires` the requester's deadline (ms
 * since 1970) and an optional `slim.join.note`. The sequencer numbers and archives it
 * like any message that is not a commit (its roles check covers commits and GroupClose
 * only; the requester needs the grant to publish multicast to the name), so every member
 * reads it in the channel's stream, in order, also one that starts or restarts later and
 * replays the stream. A decline is a `JoinReply` with `status: declined` and `reason`,
 * sent twice: multicast to the channel (`slim.join: decline`, `slim.join.request`: the
 * request's id) so that every member settles it, and unicast to the requester (its
 * correlation id: the request's id) as the answer. An approval is the add commit and the
 * Welcome, as for an invitation.
 *
 * Each request is offered with the requester's name (stamped by the relay) and the
 * credential its key package carries, checked as members are (./credentials.ts: with
 * trust on, the signed agent credential against the mesh authority and revocations). A key
 * package for another name than its sender's, one whose credential does not verify, or of
 * another suite is offered but cannot be approved (CredentialMismatchError,
 * UnsupportedChannelSuiteError).
 *
 * A request is pending until it is settled: `approved` when its requester becomes a
 * member (the add commit in the stream, whoever made it), `declined` when a decline from
 * the owner or an admin is in the stream, `expired` once its deadline passed (at most
 * MAX_JOIN_REQUEST_WAIT_MS after it was read) or when more than MAX_PENDING_JOIN_REQUESTS
 * are pending (the oldest goes). So stale requests replayed from the archive are not
 * offered again: a request after whose deadline the stream is replayed is expired on
 * arrival, and one whose requester is already a member is settled. With a data
 * directory the pending requests are kept in the store (`channel-join/<name>`), so a
 * member that read a request and restarts (past it in the stream) still has it.
 */
import { fromString, toString } from 'uint8arrays'
import type { ChannelAgent, ChannelInbound } from './agent-port.js'
import { credentialJwt, MemberAuthenticationService } from './credentials.js'
import { ChannelClosedError, CredentialMismatchError, JoinRequestNotFoundError, UnsupportedChannelSuiteError, messageOf } from './errors.js'
import type { MemberCredentialCheck } from './errors.js'
import { decodeKeyPackage } from './mls-codec.js'
import type { MemberTrust } from './member-trust.js'
import { isManager } from './roles.js'
import type { ChannelRoles } from './roles.js'
import { MAX_JOIN_REQUEST_WAIT_MS } from '../machines/channel-join-request.machine.js'
import { AsyncQueue } from '../util/async-queue.js'
import { MessageType } from '../wire/envelope.pb.js'

export const META_JOIN = 'slim.join'
export const META_JOIN_EXPIRES = 'slim.join.expires'
export const META_JOIN_NOTE = 'slim.join.note'
export const META_JOIN_REQUEST = 'slim.join.request'
export const JOIN_ASK = 'ask'
export const JOIN_DECLINE = 'decline'
/** A note or a decline's reason: one metadata value (at most 1024 bytes on the wire). */
export const MAX_NOTE_BYTES = 1000
export const MAX_PENDING_JOIN_REQUESTS = 64
const MAX_SETTLED = 256

export const joinRequestsKey = (channel: string): string => `channel-join/${channel}`

/** The credential of a request's key package, as this member checked it. */
export interface JoinRequestCredential {
  /** It passed the checks a member's credential must pass here, and is for the requester. */
  verified: boolean
  /** The agent name it carries. */
  name?: string
  /** Trust on: the service name its agent credential grants, its issuer's key id, and its expiry (seconds since 1970). */
  service?: string
  issuer?: string
  expiresAt?: number
  /** Not verified: the check it failed, and why. */
  check?: MemberCredentialCheck
  reason?: string
}

export interface JoinRequestInfo {
  /** The JoinRequest's message id, hex: what approveJoin and declineJoin take. */
  id: string
  /** The asking agent, as its relay proved it. */
  requester: string
  note?: string
  /** Its sequence number in the channel's stream. */
  seq: number
  /** When it expires here (ms since 1970): the requester's deadline. */
  expiresAt: number
  /** The cipher suite of its key package. */
  suite?: string
  credential: JoinRequestCredential
}

export type JoinRequestOutcome = 'approved' | 'declined' | 'expired'

/** What the requests need of their channel (./open-channel.ts). */
export interface JoinRequestsHost {
  readonly name: string
  readonly suite: string
  readonly members: string[]
  readonly roles: ChannelRoles | undefined
}

export interface JoinRequestsInit {
  channel: JoinRequestsHost
  agent: ChannelAgent
  trust?: MemberTrust
  persist: boolean
  now?: () => number
}

/** A pending request as this member holds it: what is offered, the key package to add, and why it cannot be approved (if so). */
export interface HeldJoinRequest { info: JoinRequestInfo, keyPackage: Uint8Array, problem?: Error }

const enc = new TextEncoder()
const dec = new TextDecoder()

export class JoinRequests {
  private readonly channel: JoinRequestsHost
  private readonly agent: ChannelAgent
  private readonly trust?: MemberTrust
  private readonly persist: boolean
  private readonly now: () => number
  /** Pending requests by id, oldest first. */
  private readonly held = new Map<string, HeldJoinRequest>()
  private readonly settled = new Map<string, JoinRequestOutcome>()
  private readonly feeds = new Set<AsyncQueue<JoinRequestInfo>>()
  private ended = false

  constructor (init: JoinRequestsInit) {
    this.channel = init.channel
    this.agent = init.agent
    this.trust = init.trust
    this.persist = init.persist
    this.now = init.now ?? Date.now
  }

  /** The requests kept in the store (a restart): checked again, the stale ones dropped. */
  async load (): Promise<void> {
    if (!this.persist) return
    const saved = await this.agent.storage.get(joinRequestsKey(this.channel.name))
    if (saved == null) return
    let list: Array<Omit<JoinRequestInfo, 'credential' | 'suite'> & { kp: string }> = []
    // A record that does not decode is as good as none: the requests are asked again or time out.
    try { list = JSON.parse(dec.decode(saved)) } catch {}
    for (const r of Array.isArray(list) ? list : []) {
      if (typeof r?.id !== 'string' || typeof r.kp !== 'string') continue
      if (r.expiresAt <= this.now() || this.channel.members.includes(r.requester)) continue
      let keyPackage: Uint8Array
      let a: Awaited<ReturnType<typeof assess>>
      // One kept request that no longer reads is dropped; the channel opens regardless.
      try { keyPackage = fromString(r.kp, 'base64'); a = await assess(keyPackage, r.requester, this.channel, this.trust) } catch { continue }
      this.held.set(r.id, { info: { id: r.id, requester: r.requester, note: r.note, seq: r.seq, expiresAt: r.expiresAt, suite: a.suite, credential: a.credential }, keyPackage, problem: a.problem })
    }
  }

  /** A JoinRequest or JoinReply read in the channel's stream (in order). */
  async onStream (m: ChannelInbound, seq: number): Promise<void> {
    if (this.ended) return
    if (m.type === MessageType.JOIN_REPLY) {
      const id = m.metadata.get(META_JOIN_REQUEST)
      // Only a decline by someone who may decide counts (anyone may publish to the channel).
      if (m.metadata.get(META_JOIN) === JOIN_DECLINE && id != null && this.mayDecide(m.source)) await this.settle(id, 'declined')
      return
    }
    if (m.type !== MessageType.JOIN_REQUEST || m.metadata.get(META_JOIN) !== JOIN_ASK) return
    const id = toString(m.id, 'base16')
    if (this.held.has(id) || this.settled.has(id)) return
    const now = this.now()
    const expires = Number(m.metadata.get(META_JOIN_EXPIRES))
    if (!Number.isSafeInteger(expires) || expires <= now) { this.remember(id, 'expired'); return }
    if (this.channel.members.includes(m.source)) { this.remember(id, 'approved'); return }
    const keyPackage = m.data.slice()
    const a = await assess(keyPackage, m.source, this.channel, this.trust)
    const note = m.metadata.get(META_JOIN_NOTE)
    const info: JoinRequestInfo = { id, requester: m.source, ...(note != null ? { note } : {}), seq, expiresAt: Math.min(expires, now + MAX_JOIN_REQUEST_WAIT_MS), suite: a.suite, credential: a.credential }
    this.held.set(id, { info, keyPackage, problem: a.problem })
    for (const old of [...this.held.keys()].slice(0, Math.max(0, this.held.size - MAX_PENDING_JOIN_REQUESTS))) this.drop(old, 'expired')
    await this.save()
    for (const f of this.feeds) f.push(copy(info))
  }

  /** The requests seen and not yet settled, oldest first. */
  pending (): JoinRequestInfo[] {
    this.expire()
    return [...this.held.values()].map(h => copy(h.info))
  }

  /** New requests as they arrive, until the channel ends (or the iteration is left). */
  stream (): AsyncIterable<JoinRequestInfo> {
    const q: AsyncQueue<JoinRequestInfo> = new AsyncQueue<JoinRequestInfo>(1024, () => new ChannelClosedError(`join requests of ${this.channel.name} were not read; more than 1024 waiting`, 'closed'), () => { this.feeds.delete(q) })
    if (this.ended) q.end()
    else this.feeds.add(q)
    return q
  }

  /** The pending request `id`, with the key package it carries; JoinRequestNotFoundError if it is not pending. */
  require (id: string): HeldJoinRequest {
    this.expire()
    const h = this.held.get(id)
    if (h != null) return h
    const settled = this.settled.get(id)
    throw new JoinRequestNotFoundError(settled != null
      ? `the request ${id} to join ${this.channel.name} is settled already (${settled})`
      : `no pending request ${id} to join ${this.channel.name} was seen here (pendingJoinRequests() lists them)`, id, settled)
  }

  /** Declines `id`: a record in the channel's stream (every member settles it), then the answer to the requester. */
  async decline (id: string, reason: string | undefined, signal?: AbortSignal): Promise<void> {
    const { info } = this.require(id)
    const why = clip(reason ?? 'declined')
    const record = this.agent.envelope(this.channel.name, new Uint8Array(0), { mode: 'multicast' })
    record.type = MessageType.JOIN_REPLY
    record.channelId = this.channel.name
    record.metadata.set(META_JOIN, JOIN_DECLINE)
    record.metadata.set(META_JOIN_REQUEST, id)
    record.metadata.set('status', 'declined')
    record.metadata.set('reason', why)
    await this.agent.send(record, signal)
    await this.settle(id, 'declined')
    const reply = this.agent.envelope(info.requester, new Uint8Array(0), { mode: 'unicast' })
    reply.type = MessageType.JOIN_REPLY
    reply.channelId = this.channel.name
    reply.correlationId = fromString(id, 'base16')
    reply.metadata.set(META_JOIN, JOIN_DECLINE)
    reply.metadata.set('status', 'declined')
    reply.metadata.set('reason', why)
    // Not awaited: the relay does not acknowledge a reply (src/relay/relay-core.ts). The
    // decline is in the stream either way; a requester that cannot be reached times out.
    void this.agent.send(reply).catch(() => {})
  }

  /** A member was added: every request of its is settled as approved. */
  async memberAdded (name: string): Promise<void> {
    const ids = [...this.held.values()].filter(h => h.info.requester === name).map(h => h.info.id)
    for (const id of ids) this.drop(id, 'approved')
    if (ids.length > 0) await this.save()
  }

  async settle (id: string, outcome: JoinRequestOutcome): Promise<void> {
    if (!this.held.has(id)) { this.remember(id, outcome); return }
    this.drop(id, outcome)
    await this.save()
  }

  /** Ends every stream of requests; `forget`: the channel is over, its kept requests are deleted. */
  async end (forget: boolean): Promise<void> {
    this.ended = true
    for (const f of this.feeds) f.end()
    this.feeds.clear()
    if (forget && this.persist) await this.agent.storage.del(joinRequestsKey(this.channel.name)).catch(() => {})
  }

  private mayDecide (name: string): boolean {
    return this.channel.members.includes(name) && isManager(this.channel.roles, name)
  }

  private expire (): void {
    const now = this.now()
    for (const h of [...this.held.values()]) if (h.info.expiresAt <= now) this.drop(h.info.id, 'expired')
  }

  private drop (id: string, outcome: JoinRequestOutcome): void {
    this.held.delete(id)
    this.remember(id, outcome)
  }

  private remember (id: string, outcome: JoinRequestOutcome): void {
    this.settled.set(id, outcome)
    if (this.settled.size > MAX_SETTLED) this.settled.delete(this.settled.keys().next().value as string)
  }

  private async save (): Promise<void> {
    if (!this.persist || this.ended) return
    const key = joinRequestsKey(this.channel.name)
    if (this.held.size === 0) { await this.agent.storage.del(key); return }
    const list = [...this.held.values()].map(({ info, keyPackage }) => ({ id: info.id, requester: info.requester, note: info.note, seq: info.seq, expiresAt: info.expiresAt, kp: toString(keyPackage, 'base64') }))
    await this.agent.storage.put(key, enc.encode(JSON.stringify(list)))
  }
}

/** Checks a request's key package: for its sender, a credential that passes here, the channel's suite. */
async function assess (bytes: Uint8Array, requester: string, channel: JoinRequestsHost, trust?: MemberTrust): Promise<{ credential: JoinRequestCredential, problem?: Error, suite?: string }> {
  let decoded: ReturnType<typeof decodeKeyPackage>
  try {
    decoded = decodeKeyPackage(bytes)
  } catch (err) {
    const check = (err as { check?: MemberCredentialCheck }).check
    return { credential: { verified: false, ...(check != null ? { check } : {}), reason: messageOf(err) }, problem: err as Error }
  }
  const { keyPackage, name } = decoded
  const suite = keyPackage.cipherSuite as string
  if (name !== requester) {
    const reason = `the key package in the request of ${requester} is for ${name}; a requester asks with a key package of its own`
    return { credential: { verified: false, name, check: 'name-key', reason }, problem: new CredentialMismatchError(reason, { check: 'name-key' }), suite }
  }
  const { credential: leafCredential, signaturePublicKey } = keyPackage.leafNode
  try {
    await new MemberAuthenticationService(trust).check(leafCredential, signaturePublicKey)
  } catch (err) {
    const e = err as CredentialMismatchError
    return { credential: { verified: false, name, check: e.check, reason: e.message }, problem: new CredentialMismatchError(`the request of ${requester} to join ${channel.name} cannot be approved: ${e.message}`, { cause: e, check: e.check }), suite }
  }
  const credential: JoinRequestCredential = { verified: true, name }
  const jwt = credentialJwt(leafCredential)
  if (trust != null && jwt != null) {
    const c = await trust.verify(jwt, signaturePublicKey)
    credential.service = c.name
    credential.issuer = c.issuerInfo.id
    credential.expiresAt = c.expiresAt
  }
  const problem = suite !== channel.suite ? new UnsupportedChannelSuiteError(`the key package of ${requester} is for ${suite}; ${channel.name} uses ${channel.suite}`) : undefined
  return { credential, problem, suite }
}

function copy (info: JoinRequestInfo): JoinRequestInfo {
  return { ...info, credential: { ...info.credential } }
}

function clip (s: string): string {
  return enc.encode(s).byteLength <= MAX_NOTE_BYTES ? s : s.slice(0, MAX_NOTE_BYTES / 4)
}
