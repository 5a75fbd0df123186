/**
 * One open channel of an agent: an MLS group (./group.ts) driven by the channel's
 * sequenced stream on the mesh.
 *
 * Every state change comes from the stream, in the sequencer's order: application
 * messages (`Msg`) are opened in order, commits (`GroupAdd` / `GroupRemove` /
 * `GroupProposal`) are applied in order, and a commit of ours is adopted when it comes
 * back in the stream (it is then the epoch's commit). So every member applies the same
 * commits in the same order and no epoch forks (RFC 9420 section 14).
 *
 * Commits of ours are asked of the channel machine (src/machines/channel.machine.ts, run
 * by ./channel.actor.ts), which holds the channel's one commit queue and retries a commit
 * refused as stale; `submitCommit` here builds and sends the one it is on.
 *
 * The sequencer counts epochs by the commits it accepted; this member counts the same
 * envelopes in the stream (`wireEpoch`), so even a commit that every member refuses
 * (forged, malformed, or without the role for what it does) keeps the two counts equal
 * and cannot wedge the channel.
 *
 * Roles (./roles.ts): every commit and GroupClose of another member is checked against
 * the roles in the group context before it is applied; one without the right is refused
 * (`channel.commit.refused`) by every member alike, so nobody forks. Our own commits are
 * checked before they are sent (PermissionDeniedError) and carry the `slim.*` metadata
 * the sequencer checks. A `DiscoveryRequest` in the stream is answered (./discovery.ts).
 */
import type { Envelope, Ack } from '../wire/envelope.pb.js'
import { MessageType } from '../wire/envelope.pb.js'
import type { ChannelAgent, ChannelInbound, ChannelSubscription } from './agent-port.js'
import { idKey } from '../relay/dedup-window.js'
import { ChannelActor } from './channel.actor.js'
import type { CommitKind, CommitRequest, SubmitCommitInput, SubmitCommitOutput } from '../machines/channel.machine.js'
import { AsyncQueue } from '../util/async-queue.js'
import { ChannelClosedError, CommitRefusedError, InvalidChannelMessageError, MemberNotFoundError, PermissionDeniedError } from './errors.js'
import type { MlsGroup, PendingCommit } from './group.js'
import { commitRefusal, isManager, META_ADDS, META_REMOVES, META_ROLES, refusal, requireRole, rolesJson } from './roles.js'
import type { ChannelRoles, RoleAction } from './roles.js'
import { StatusFeed } from './status.js'
import type { ChannelStatus } from './status.js'
import { encodeRecord, recordKey } from './records.js'
import { removersOf, revocationDuty } from './member-duties.js'
import { answerDiscovery } from './discovery.js'

/** What a channel needs of its agent (the Agent class has all of it). */
export type { ChannelAgent }

export interface ChannelMessage {
  data: Uint8Array
  /** The sender's agent name, from its MLS credential. */
  sender: string
  /** The sequence number the channel's sequencer gave it. */
  seq: number
  /** The MLS epoch it was sealed in. */
  epoch: number
}

export interface ChannelInit {
  agent: ChannelAgent
  name: string
  group: MlsGroup
  /** The last sequence number already reflected in `group` (0: none). */
  position: number
  /** The sequencer's epoch count after `position`. */
  wireEpoch: number
  /** Keep the state in the agent's store (the agent has a data directory). */
  persist: boolean
  restored: boolean
  /** Limit of unread messages before messages() ends with an error. */
  bufferLimit?: number
  /** Called when the handle ends (closed, left, removed or detached). */
  onEnd?: () => void
}

const COMMIT_TYPES: Record<CommitKind, MessageType> = { add: MessageType.GROUP_ADD, remove: MessageType.GROUP_REMOVE, update: MessageType.GROUP_PROPOSAL, roles: MessageType.GROUP_PROPOSAL }
const IS_COMMIT = new Set<string>([MessageType.GROUP_ADD, MessageType.GROUP_REMOVE, MessageType.GROUP_PROPOSAL])
const SAVE_DELAY_MS = 50

async function build (group: MlsGroup, request: CommitRequest): Promise<PendingCommit> {
  switch (request.kind) {
    case 'add': return await group.buildAdd(request.keyPackage)
    case 'remove': return await group.buildRemove([request.member, ...(request.also ?? [])])
    case 'update': return await group.buildUpdate()
    case 'roles': return await group.buildRoles(request.roles)
  }
}

interface InFlight {
  id: string
  pending: PendingCommit
  applied: PromiseWithResolvers<void>
  done: boolean
}

function deferred<T> (): PromiseWithResolvers<T> {
  let resolve!: (v: T | PromiseLike<T>) => void
  let reject!: (e?: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  // Rejected when the channel ends with nobody awaiting it any more: not an unhandled rejection.
  promise.catch(() => {})
  return { promise, resolve, reject }
}

export class ChannelHandle {
  readonly name: string
  protected readonly agent: ChannelAgent
  private readonly group: MlsGroup
  private readonly actor: ChannelActor
  private readonly persist: boolean
  private position: number
  private wireEpoch: number
  private sub?: ChannelSubscription
  private readonly inbox: AsyncQueue<ChannelMessage>
  private readonly statusFeed: StatusFeed
  private readonly ownSends = new Map<string, { data: Uint8Array, epoch: number }>()
  private inflight?: InFlight
  /** The MLS state's one writer at a time: see `locked`. */
  private lock: Promise<unknown> = Promise.resolve()
  private epochWaiters: Array<{ epoch: number, resolve: () => void }> = []
  private saveTimer?: ReturnType<typeof setTimeout>
  private ending?: 'closed' | 'removed' | 'left'
  private finished?: Promise<void>
  private readonly endWaiters: Array<() => void> = []
  private readonly onEnd?: () => void
  private loop?: Promise<void>
  private refused = 0
  /** Created here (not joined, not restored): its stream starts at the name's head. */
  private readonly created: boolean

  constructor (init: ChannelInit) {
    this.created = !init.restored && init.position === 0
    this.name = init.name
    this.agent = init.agent
    this.group = init.group
    this.position = init.position
    this.wireEpoch = init.wireEpoch
    this.persist = init.persist
    this.onEnd = init.onEnd
    this.statusFeed = new StatusFeed(init.name)
    this.inbox = new AsyncQueue<ChannelMessage>(init.bufferLimit ?? 65_536, () => new ChannelClosedError(`messages of ${init.name} were not read; more than ${init.bufferLimit ?? 65_536} waiting`, 'closed'))
    this.actor = new ChannelActor({ name: init.name, self: init.agent.name, joining: init.restored }, {
      submitCommit: async (input, signal) => await this.submitCommit(input, signal),
      catchUp: async (epoch, signal) => { await this.waitForWireEpoch(epoch, signal) },
      onCommitted: (kind, epoch, attempt) => { this.emit({ type: 'channel.commit.acked', kind, epoch, attempt }) },
      onCommitRejected: (kind, epoch, attempt) => { this.emit({ type: 'channel.commit.rejected', kind, epoch, attempt }) },
      onEnded: (state) => { this.finish(state) }
    })
    const ev = { epoch: this.group.epoch, members: this.group.members }
    this.actor.send(init.restored ? { type: 'channel.joined', ...ev } : { type: 'channel.created', ...ev })
  }

  /** Subscribes to the channel's stream from the next sequence number (a created one: from the name's head) and starts applying it. */
  async start (signal?: AbortSignal): Promise<void> {
    // A channel created here starts at the name's head: a name used before (a channel
    // closed and now reopened by its owner) has history that is not this group's.
    const fresh = this.created && this.position === 0
    this.sub = await this.agent.subscribe(this.name, { fromSeq: fresh ? 0 : this.position + 1, signal })
    const sub = this.sub
    if (fresh && sub.startSeq > 1) this.position = sub.startSeq - 1
    this.loop = (async () => {
      try {
        for await (const m of sub) {
          await this.locked(async () => { await this.process(m) })
          if (this.ending != null) break
        }
      } catch (err) {
        this.emit({ type: 'channel.message.rejected', seq: this.position + 1, error: err as Error })
      }
    })()
    if (this.persist) await this.save()
  }

  // ---- the public surface ----

  get epoch (): number { return this.group.epoch }
  get members (): string[] { return this.group.members }
  get suite (): string { return this.group.suite }
  /** RFC 9420 section 8.7: equal at every member in the same epoch. */
  get epochAuthenticator (): Uint8Array { return this.group.epochAuthenticator }
  /** The channel machine's state. */
  get state (): string { return this.actor.state }
  /** The last sequence number applied. */
  get seq (): number { return this.position }
  /** The channel's roles, as the group context holds them (the same at every member of an epoch). */
  get roles (): ChannelRoles | undefined {
    const r = this.group.roles
    return r != null ? { owner: r.owner, admins: [...r.admins], ...(r.discovery != null ? { discovery: r.discovery } : {}) } : undefined
  }

  /** Commits and GroupCloses from other members refused here (no right, or metadata that does not match). */
  get refusedCommits (): number { return this.refused }

  messages (): AsyncIterable<ChannelMessage> { return this.inbox }

  onStatus (listener: (s: ChannelStatus) => void): () => void { return this.statusFeed.on(listener) }

  /** Status changes from now on, until the channel ends. */
  status (): AsyncIterable<ChannelStatus> { return this.statusFeed.stream() }

  async send (data: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<{ seq: number }> {
    this.checkOpen()
    const env = await this.locked(async () => {
      this.checkOpen()
      const bytes = await this.group.seal(data)
      // Saved before it leaves: a restart must never reuse this message key.
      if (this.persist) await this.save()
      const env = this.envelope(bytes, MessageType.MSG)
      this.ownSends.set(idKey(env.messageId), { data, epoch: this.group.epoch })
      return env
    })
    try {
      const ack = await this.agent.send(env, options.signal)
      return { seq: ack.seq }
    } catch (err) {
      this.ownSends.delete(idKey(env.messageId))
      throw err
    }
  }

  async removeMember (name: string): Promise<void> {
    this.checkRole('remove')
    await this.commit({ kind: 'remove', member: name })
  }

  /** Sets the admins (owner only): one commit, which every member checks came from the owner. */
  async setRoles (roles: { admins: string[] }): Promise<void> {
    this.checkOpen()
    const current = this.group.roles
    if (current == null) throw new PermissionDeniedError(`${this.name} was made before channels had roles; its roles cannot be set`, 'channel.roles')
    this.checkRole('roles')
    const admins = [...new Set(roles.admins)]
    for (const a of admins) this.requireMember(a)
    await this.commit({ kind: 'roles', roles: { ...current, admins } })
  }

  /** Makes a member an admin (owner only). */
  async grantAdmin (name: string): Promise<void> {
    const admins = this.group.roles?.admins ?? []
    if (admins.includes(name)) return
    await this.setRoles({ admins: [...admins, name] })
  }

  /** Takes the admin role from a member (owner only). */
  async revokeAdmin (name: string): Promise<void> {
    const admins = this.group.roles?.admins ?? []
    if (!admins.includes(name)) return
    await this.setRoles({ admins: admins.filter(a => a !== name) })
  }

  /** A self-update: new leaf and path keys (post-compromise security). */
  async update (): Promise<void> {
    await this.commit({ kind: 'update' })
  }

  /** Closes the channel for every member (`GroupClose`, sequenced like any message). */
  async close (options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.ending != null) return
    this.checkRole('close')
    const env = this.envelope(new Uint8Array(0), MessageType.GROUP_CLOSE)
    await this.agent.send(env, options.signal)
    await this.untilEnded(options.signal)
  }

  /** Opens one MLS message without applying anything (a trial with this member's keys, for tools and tests). */
  async open (bytes: Uint8Array): Promise<{ data: Uint8Array, sender: string, epoch: number }> {
    return await this.group.open(bytes, { keep: false })
  }

  // ---- for AgentChannels and the invite and leave actors ----

  /** Queues a commit on the channel machine (the channel's one commit queue); resolves once acked and applied. */
  async commit (request: CommitRequest, id?: number): Promise<SubmitCommitOutput> {
    this.checkOpen()
    return await this.actor.commit(request, id)
  }

  /** An id for a commit to ask for later, so that it can be withdrawn while still queued. */
  newCommitId (): number { return this.actor.newCommitId() }

  /** Withdraws a queued commit; one already sent goes on. */
  withdrawCommit (id: number): void { this.actor.withdraw(id) }

  /** Marks the channel as being left: the removal that follows ends it as `left`. */
  markLeaving (): void { this.actor.send({ type: 'member.leaving' }) }

  /** Ends the channel as `left` with nobody told (the last member leaving) and forgets its saved state. */
  async forget (): Promise<void> {
    this.actor.send({ type: 'channel.left' })
    await this.finished
  }

  get ended (): boolean { return this.ending != null }

  async untilEnded (signal?: AbortSignal): Promise<void> {
    if (this.ending != null) return
    await new Promise<void>((resolve, reject) => {
      this.endWaiters.push(resolve)
      signal?.addEventListener('abort', () => { reject(signal.reason as Error) }, { once: true })
    })
  }

  /** Stops this handle (agent closing) without leaving the channel; the state stays saved. */
  async detach (): Promise<void> {
    if (this.saveTimer != null) { clearTimeout(this.saveTimer); this.saveTimer = undefined }
    await this.locked(async () => { if (this.persist && this.ending == null) await this.save() })
    this.actor.stop()
    this.inbox.end()
    // Detaching stops reading either way; a subscription that fails to close is the agent's to clean up.
    await this.sub?.close().catch(() => {})
    await this.loop
    this.onEnd?.()
  }

  // ---- commits ----

  /** The channel machine's `submitCommit`: builds `request` on the current epoch, sends it, resolves once it came back in the stream and is applied. */
  private async submitCommit ({ request }: SubmitCommitInput, signal: AbortSignal): Promise<SubmitCommitOutput> {
    const { env, flight } = await this.locked(async () => {
      this.checkOpen()
      // Checked again as it is built: the roles may have changed while it was queued.
      this.checkRole(request.kind)
      const roles = this.group.roles
      const firstCommit = this.group.epoch === 0
      const pending = await build(this.group, request)
      const env = this.envelope(pending.bytes, COMMIT_TYPES[request.kind])
      // What the sequencer checks without reading MLS (./roles.ts); members check it matches.
      const setsRoles = pending.roles ?? (firstCommit ? roles : undefined)
      if (setsRoles != null) env.metadata.set(META_ROLES, rolesJson(setsRoles))
      if (pending.added != null && pending.kind === 'add') env.metadata.set(META_ADDS, JSON.stringify(pending.added))
      if (pending.removed != null && pending.kind === 'remove') env.metadata.set(META_REMOVES, JSON.stringify(pending.removed))
      const flight: InFlight = { id: idKey(env.messageId), pending, applied: deferred<void>(), done: false }
      this.inflight = flight
      return { env, flight }
    })
    let ack: Ack
    try {
      ack = await this.agent.send(env, signal)
    } catch (err) {
      if (flight.done) {
        // The ack was lost but the commit is in the stream: it is the epoch's commit.
        ack = { messageId: env.messageId, seq: this.position, code: 0, reason: '', epoch: this.wireEpoch }
      } else {
        if (this.inflight === flight) this.inflight = undefined
        if ((err as Error).name === 'StaleEpochError') throw { stale: true, epoch: (err as { epoch: number }).epoch } // eslint-disable-line @typescript-eslint/only-throw-error
        throw err
      }
    }
    await flight.applied.promise
    const { welcome, joiner } = flight.pending
    return {
      epoch: this.group.epoch,
      members: this.group.members,
      welcome: welcome != null && joiner != null ? { joiner, bytes: welcome, seq: ack.seq, wireEpoch: env.epoch + 1 } : undefined
    }
  }

  private async waitForWireEpoch (epoch: number, signal: AbortSignal): Promise<void> {
    if (this.wireEpoch >= epoch) return
    await new Promise<void>((resolve, reject) => {
      this.epochWaiters.push({ epoch, resolve })
      signal.addEventListener('abort', () => { reject(signal.reason as Error) }, { once: true })
    })
  }

  // ---- the stream ----

  private async process (m: ChannelInbound): Promise<void> {
    const seq = m.seq ?? 0
    if (seq <= this.position || this.ending != null) return
    let urgentSave = false
    try {
      if (m.type === MessageType.MSG) {
        const own = this.ownSends.get(idKey(m.id))
        if (own != null) {
          this.ownSends.delete(idKey(m.id))
          this.inbox.push({ data: own.data, sender: this.agent.name, seq, epoch: own.epoch })
        } else {
          const opened = await this.group.open(m.data)
          this.inbox.push({ data: opened.data, sender: opened.sender, seq, epoch: opened.epoch })
        }
      } else if (IS_COMMIT.has(m.type)) {
        this.wireEpoch++
        urgentSave = true
        await this.receiveCommit(m)
      } else if (m.type === MessageType.GROUP_CLOSE) {
        // The relay stamps the source; only a member may close the channel, and only the owner or an admin.
        if (!this.group.members.includes(m.source)) throw new InvalidChannelMessageError(`GroupClose from ${m.source}, who is not a member`)
        const why = refusal(this.group.roles, m.source, 'close')
        if (why != null) {
          this.refuse(seq, new CommitRefusedError(`refused the GroupClose from ${m.source}: ${why}`, m.source))
          return
        }
        this.position = seq
        this.actor.send({ type: 'channel.closed' })
        return
      } else if (m.type === MessageType.JOIN_REQUEST || m.type === MessageType.JOIN_REPLY) {
        await this.joinTraffic(m, seq) // asking to join (./join-requests.ts): not MLS, read in the stream's order
      } else if (m.type === MessageType.DISCOVERY_REQUEST) {
        answerDiscovery(this.agent, { name: this.name, self: this.agent.name, epoch: this.group.epoch, members: this.group.members, roles: this.group.roles }, m)
      }
    } catch (err) {
      this.emit({ type: 'channel.message.rejected', seq, error: err as Error })
    } finally {
      if (this.ending == null) {
        this.position = seq
        for (const w of this.epochWaiters.filter(w => w.epoch <= this.wireEpoch)) w.resolve()
        this.epochWaiters = this.epochWaiters.filter(w => w.epoch > this.wireEpoch)
        if (this.persist) {
          if (urgentSave) await this.save()
          else this.scheduleSave()
        }
      }
    }
  }

  private async receiveCommit (m: ChannelInbound): Promise<void> {
    const flight = this.inflight
    let applied
    if (flight != null && flight.id === idKey(m.id)) {
      this.inflight = undefined
      applied = this.group.applyOwn(flight.pending)
      flight.done = true
      flight.applied.resolve()
    } else {
      const roles = this.group.roles
      try {
        applied = await this.group.applyCommit(m.data, c => commitRefusal(roles, { ...c, type: m.type, metadata: m.metadata }))
      } catch (err) {
        if (err instanceof CommitRefusedError) { this.refuse(Number(m.seq ?? 0), err); return }
        throw err
      }
    }
    this.emit({ type: 'channel.epoch.changed', epoch: applied.epoch, members: this.group.members })
    for (const member of applied.added) this.emit({ type: 'channel.member.added', member, epoch: applied.epoch })
    for (const member of applied.removed) this.emit({ type: 'channel.member.removed', member, epoch: applied.epoch })
    this.actor.send({ type: 'epoch.changed', epoch: applied.epoch, members: this.group.members })
    if (applied.selfRemoved) this.actor.send({ type: 'member.removed' })
  }

  // ---- plumbing ----

  private envelope (payload: Uint8Array, type: MessageType): Envelope {
    const env = this.agent.envelope(this.name, payload, { mode: 'multicast' })
    env.type = type
    env.channelId = this.name
    env.epoch = this.wireEpoch
    return env
  }

  private emit (s: ChannelStatus): void { this.statusFeed.emit(s) }

  /** A JoinRequest or JoinReply in the stream: ./open-channel.ts reads them. */
  protected async joinTraffic (_m: ChannelInbound, _seq: number): Promise<void> {}

  /** A commit or GroupClose refused here: counted and reported; the channel stays at its epoch. */
  private refuse (seq: number, error: CommitRefusedError): void {
    this.refused++
    this.emit({ type: 'channel.commit.refused', seq, committer: error.committer, error })
  }

  /** Throws PermissionDeniedError unless this member's role allows `action`. */
  protected checkRole (action: RoleAction): void {
    requireRole(this.group.roles, this.agent.name, action, this.name)
  }

  /** Whether this member may add, remove and close (owner or admin). */
  get manager (): boolean { return isManager(this.group.roles, this.agent.name) }

  protected checkOpen (): void {
    if (this.ending != null) throw new ChannelClosedError(`channel ${this.name} is ${this.ending}`, this.ending)
  }

  private finish (state: 'closed' | 'removed' | 'left'): void {
    if (this.ending != null) return
    this.ending = state
    this.emit({ type: state === 'closed' ? 'channel.closed' : state === 'left' ? 'channel.left' : 'channel.removed' })
    this.inbox.end()
    this.inflight?.applied.reject(new ChannelClosedError(`channel ${this.name} is ${state}`, state))
    if (this.saveTimer != null) { clearTimeout(this.saveTimer); this.saveTimer = undefined }
    for (const w of this.endWaiters.splice(0)) w()
    this.finished = (async () => {
      // Best effort: the channel is over either way, and a subscription or record left behind is harmless.
      await this.sub?.close().catch(() => {})
      if (this.persist) await this.agent.storage.del(recordKey(this.name)).catch(() => {})
      this.onEnd?.()
    })()
  }

  /**
   * Runs `f` alone on the MLS state. The stream applies commits, `send` seals, the
   * machine's `submitCommit` builds and the saver encodes, all on the one group state
   * and each across awaits: a commit built while another is half applied would be built
   * on the old epoch but stamped with the new one. This is that state's mutual
   * exclusion, not a commit queue (the channel machine holds that).
   */
  private async locked<T> (f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f, f)
    // The caller of `locked` gets the failure; the next in line runs regardless.
    this.lock = run.catch(() => {})
    return await run
  }

  private scheduleSave (): void {
    if (this.saveTimer != null) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined
      // A deferred save that fails is redone by the next one (every commit saves at once).
      void this.locked(async () => { if (this.ending == null) await this.save() }).catch(() => {})
    }, SAVE_DELAY_MS)
  }

  /** Saves the group state with the position it reflects, in one record. */
  private async save (): Promise<void> {
    await this.agent.storage.put(recordKey(this.name), encodeRecord({
      suite: this.group.suite,
      position: this.position,
      wireEpoch: this.wireEpoch,
      retention: this.group.retention,
      state: this.group.encode()
    }))
  }

  /** Every other member, in tree order. */
  otherMembers (): string[] {
    return this.group.members.filter(m => m !== this.agent.name)
  }

  /** For leave: the members who may remove this one (the owner, then the admins, in roles order), to ask in turn. */
  removers (): string[] { return removersOf(this.group.roles, this.group.members, this.agent.name) }

  /**
   * Removes every member whose agent credential is revoked, in one commit, if this
   * member is the one whose duty that is (./member-duties.ts). The others do nothing, so
   * there is one commit and no fork. Resolves with who was removed.
   */
  async removeRevoked (): Promise<string[]> {
    if (this.ending != null || !this.group.trusted) return []
    const revoked = await this.group.membersFailing('revoked')
    if (revoked.length === 0) return []
    if (revocationDuty(this.group.roles, this.group.members, revoked) !== this.agent.name) return []
    const [first, ...also] = revoked.filter(m => m !== this.agent.name)
    if (first == null) return []
    await this.commit({ kind: 'remove', member: first, also })
    return [first, ...also]
  }

  /** Throws MemberNotFoundError unless `name` is a member. */
  requireMember (name: string): void {
    if (!this.group.members.includes(name)) throw new MemberNotFoundError(`${name} is not a member of ${this.name}`)
  }
}
