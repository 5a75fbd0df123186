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
 * The sequencer counts epochs by the commits it accepted; this member counts the same
 * envelopes in the stream (`wireEpoch`), so even a commit that every member refuses
 * (forged, malformed) keeps the two counts equal and cannot wedge the channel.
 */
import type { Envelope, Ack } from '../wire/envelope.pb.js'
import { MessageType } from '../wire/envelope.pb.js'
import type { ChannelAgent, ChannelInbound, ChannelSubscription } from './agent-port.js'
import { idKey } from '../relay/dedup-window.js'
import { ChannelActor } from './channel.actor.js'
import type { CommitKind, SubmitCommitOutput } from '../machines/channel.machine.js'
import { AsyncQueue } from '../util/async-queue.js'
import { ChannelClosedError, CommitFailedError, InvalidChannelMessageError, MemberNotFoundError } from './errors.js'
import type { MlsGroup, PendingCommit } from './group.js'
import type { ChannelStatus } from './status.js'
import { encodeRecord, recordKey } from './records.js'

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

const COMMIT_TYPES: Record<CommitKind, MessageType> = { add: MessageType.GROUP_ADD, remove: MessageType.GROUP_REMOVE, update: MessageType.GROUP_PROPOSAL }
const IS_COMMIT = new Set<string>([MessageType.GROUP_ADD, MessageType.GROUP_REMOVE, MessageType.GROUP_PROPOSAL])
const SAVE_DELAY_MS = 50

interface Op {
  kind: CommitKind
  build: (group: MlsGroup) => Promise<PendingCommit>
  after?: (pending: PendingCommit, ack: Ack, wireEpoch: number) => Promise<void>
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
  promise.catch(() => {})
  return { promise, resolve, reject }
}

export class ChannelHandle {
  readonly name: string
  private readonly agent: ChannelAgent
  private readonly group: MlsGroup
  private readonly actor: ChannelActor
  private readonly persist: boolean
  private position: number
  private wireEpoch: number
  private sub?: ChannelSubscription
  private readonly inbox: AsyncQueue<ChannelMessage>
  private readonly listeners = new Set<(s: ChannelStatus) => void>()
  private readonly ownSends = new Map<string, { data: Uint8Array, epoch: number }>()
  private inflight?: InFlight
  private op?: Op
  private lock: Promise<unknown> = Promise.resolve()
  private epochWaiters: Array<{ epoch: number, resolve: () => void }> = []
  private saveTimer?: ReturnType<typeof setTimeout>
  private ending?: 'closed' | 'removed' | 'left'
  private leaving = false
  private readonly endWaiters: Array<() => void> = []
  private readonly onEnd?: () => void
  private loop?: Promise<void>

  constructor (init: ChannelInit) {
    this.name = init.name
    this.agent = init.agent
    this.group = init.group
    this.position = init.position
    this.wireEpoch = init.wireEpoch
    this.persist = init.persist
    this.onEnd = init.onEnd
    this.inbox = new AsyncQueue<ChannelMessage>(init.bufferLimit ?? 65_536, () => new ChannelClosedError(`messages of ${init.name} were not read; more than ${init.bufferLimit ?? 65_536} waiting`, 'closed'))
    this.actor = new ChannelActor({ name: init.name, self: init.agent.name, joining: init.restored }, {
      submitCommit: async (kind, attempt, signal) => await this.submitCommit(kind, attempt, signal),
      catchUp: async (epoch, signal) => { await this.waitForWireEpoch(epoch, signal) },
      onCommitRejected: (kind, epoch, attempt) => { this.emit({ type: 'channel.commit.rejected', kind, epoch, attempt }) },
      onEnded: (state) => { this.finish(state) }
    })
    const ev = { epoch: this.group.epoch, members: this.group.members }
    this.actor.send(init.restored ? { type: 'channel.joined', ...ev } : { type: 'channel.created', ...ev })
  }

  /** Subscribes to the channel's stream from the next sequence number and starts applying it. */
  async start (signal?: AbortSignal): Promise<void> {
    this.sub = await this.agent.subscribe(this.name, { fromSeq: this.position + 1, signal })
    const sub = this.sub
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

  messages (): AsyncIterable<ChannelMessage> { return this.inbox }

  onStatus (listener: (s: ChannelStatus) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Status changes from now on, until the channel ends. */
  status (): AsyncIterable<ChannelStatus> {
    let off = (): void => {}
    const q = new AsyncQueue<ChannelStatus>(1024, () => new Error(`status of ${this.name} was not read`), () => { off() })
    off = this.onStatus(s => {
      q.push(s)
      if (s.type === 'channel.closed' || s.type === 'channel.removed' || s.type === 'channel.left') { q.end(); off() }
    })
    return q
  }

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

  async addMember (keyPackage: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.commit({
      kind: 'add',
      build: async g => await g.buildAdd(keyPackage),
      after: async (p, ack, wireEpoch) => { await this.sendWelcome(p, ack.seq, wireEpoch, options.signal) }
    })
  }

  async removeMember (name: string): Promise<void> {
    await this.commit({ kind: 'remove', build: async g => await g.buildRemove(name) })
  }

  /** A self-update: new leaf and path keys (post-compromise security). */
  async update (): Promise<void> {
    await this.commit({ kind: 'update', build: async g => await g.buildUpdate() })
  }

  /** Closes the channel for every member (`GroupClose`, sequenced like any message). */
  async close (options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.ending != null) return
    const env = this.envelope(new Uint8Array(0), MessageType.GROUP_CLOSE)
    await this.agent.send(env, options.signal)
    await this.untilEnded(options.signal)
  }

  /** Opens one MLS message without applying anything (a trial with this member's keys, for tools and tests). */
  async open (bytes: Uint8Array): Promise<{ data: Uint8Array, sender: string, epoch: number }> {
    return await this.group.open(bytes, { keep: false })
  }

  // ---- for AgentChannels ----

  /** Marks the channel as being left: the removal that follows ends it as `left`. */
  markLeaving (): void { this.leaving = true }
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
    await this.sub?.close().catch(() => {})
    await this.loop
    this.onEnd?.()
  }

  // ---- commits ----

  private async commit (op: Op): Promise<SubmitCommitOutput> {
    this.checkOpen()
    return await this.runQueued(op)
  }

  private async submitCommit (kind: CommitKind, attempt: number, signal: AbortSignal): Promise<SubmitCommitOutput> {
    const op = this.op
    if (op == null || op.kind !== kind) throw new CommitFailedError(`no ${kind} operation to commit`)
    const { env, flight } = await this.locked(async () => {
      this.checkOpen()
      const pending = await op.build(this.group)
      const env = this.envelope(pending.bytes, COMMIT_TYPES[kind])
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
    const wireEpochAfter = env.epoch + 1
    this.emit({ type: 'channel.commit.acked', kind, epoch: this.group.epoch, attempt })
    if (op.after != null) await op.after(flight.pending, ack, wireEpochAfter)
    return { epoch: this.group.epoch, members: this.group.members }
  }

  private async sendWelcome (p: PendingCommit, seq: number, wireEpoch: number, signal?: AbortSignal): Promise<void> {
    if (p.welcome == null || p.joiner == null) return
    const env = this.agent.envelope(p.joiner, p.welcome, { mode: 'unicast' })
    env.type = MessageType.GROUP_WELCOME
    env.channelId = this.name
    env.epoch = wireEpoch
    env.metadata.set('seq', String(seq))
    env.metadata.set('suite', this.group.suite)
    // A joiner that just connected may not be routable yet everywhere: retry a route miss a few times.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.agent.send({ ...env, messageId: attempt === 0 ? env.messageId : crypto.getRandomValues(new Uint8Array(16)) }, signal)
        return
      } catch (err) {
        if ((err as Error).name !== 'NoRouteError' || attempt >= 20) throw err
        await new Promise(resolve => setTimeout(resolve, 250))
      }
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
        // The relay stamps the source; only a member may close the channel.
        if (this.group.members.includes(m.source)) {
          this.position = seq
          this.actor.send({ type: 'channel.closed' })
          return
        }
        throw new InvalidChannelMessageError(`GroupClose from ${m.source}, who is not a member`)
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
      applied = await this.group.applyCommit(m.data)
    }
    this.emit({ type: 'channel.epoch.changed', epoch: applied.epoch, members: this.group.members })
    for (const member of applied.added) this.emit({ type: 'channel.member.added', member, epoch: applied.epoch })
    for (const member of applied.removed) this.emit({ type: 'channel.member.removed', member, epoch: applied.epoch })
    this.actor.send({ type: 'epoch.changed', epoch: applied.epoch, members: this.group.members })
    if (applied.selfRemoved) this.actor.send(this.leaving ? { type: 'channel.left' } : { type: 'member.removed' })
  }

  // ---- plumbing ----

  private envelope (payload: Uint8Array, type: MessageType): Envelope {
    const env = this.agent.envelope(this.name, payload, { mode: 'multicast' })
    env.type = type
    env.channelId = this.name
    env.epoch = this.wireEpoch
    return env
  }

  private emit (s: ChannelStatus): void {
    for (const l of this.listeners) {
      try { l(s) } catch {}
    }
  }

  private checkOpen (): void {
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
    void (async () => {
      await this.sub?.close().catch(() => {})
      if (this.persist) await this.agent.storage.del(recordKey(this.name)).catch(() => {})
      this.onEnd?.()
    })()
  }

  private async locked<T> (f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f, f)
    this.lock = run.catch(() => {})
    return await run
  }

  private scheduleSave (): void {
    if (this.saveTimer != null) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined
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


  /** Runs `op` through the channel machine; one at a time, so `op` is the one the machine commits. */
  private async run (op: Op): Promise<SubmitCommitOutput> {
    this.op = op
    return await this.actor.commit(op.kind)
  }

  private opQueue: Promise<unknown> = Promise.resolve()
  private async runQueued (op: Op): Promise<SubmitCommitOutput> {
    const go = async (): Promise<SubmitCommitOutput> => { this.checkOpen(); return await this.run(op) }
    const p = this.opQueue.then(go, go)
    this.opQueue = p.catch(() => {})
    return await p
  }

  /** For leave: the first other member, to ask for our removal. */
  otherMembers (): string[] {
    return this.group.members.filter(m => m !== this.agent.name)
  }

  /** Throws MemberNotFoundError unless `name` is a member. */
  requireMember (name: string): void {
    if (!this.group.members.includes(name)) throw new MemberNotFoundError(`${name} is not a member of ${this.name}`)
  }
}
