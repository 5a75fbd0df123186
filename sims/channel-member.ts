/**
 * A channel member in the channel simulation (./channel-sim.ts): the real agent logic
 * (`AgentCore` over a simulated session, ./sim-session.ts) and the real channel machine
 * (`ChannelActor`, src/channel/channel.actor.ts: the one commit queue, the retry of a
 * commit the sequencer refused as stale), with MLS replaced by a model of its epochs.
 *
 * What follows src/channel/channel.ts step by step:
 * - every state change comes from the channel's sequenced stream, in order, applied one
 *   at a time (`locked`); a commit bumps `wireEpoch` (the sequencer's count) whatever
 *   becomes of it;
 * - a commit is built on the current epoch, stamped with `wireEpoch`, sent, and adopted
 *   when it comes back in the stream; a `StaleEpochError` from the sequencer becomes the
 *   machine's `{ stale, epoch }`, and the machine catches up and rebuilds;
 * - another member's commit built on another epoch than this member's is refused (MLS
 *   cannot open it), as is one whose sender lacks the role (src/channel/roles.ts);
 * - own commits carry `slim.roles` on the first commit and on a roles change, and
 *   `slim.adds` / `slim.removes`, as the real ones do.
 *
 * The model of MLS: a member's epoch state is a hash chain, state(n+1) = SHA-256(state(n),
 * commit bytes), so two members who applied different commits, or the same ones in
 * another order, hold different states at the same epoch: the recorder's fork check
 * (./channel-recorder.ts) compares them. The roster and the roles of an epoch are a pure
 * function of that chain, so they are computed once per state and shared (`rosters`).
 * Each crypto step costs simulated time on this member's one CPU, from the calibration
 * (./channel-calibration.ts) at the channel's current size: building a commit, applying
 * one, joining from a Welcome, making a key package, sealing and opening a message.
 *
 * Joining and leaving are the real protocol machines with simulated-time clocks: the
 * invite (src/machines/channel-invite.machine.ts: JoinRequest, JoinReply, the add commit,
 * the Welcome, retried while the joiner has no route) and the leave
 * (src/machines/channel-leave.machine.ts: a LeaveRequest to the owner, then the admins).
 * They are in ./channel-protocols.ts.
 */
import { createHash } from 'node:crypto'
import { AgentCore } from '../src/agent/agent-core.js'
import type { AgentCoreHandlers, CoreSubscription } from '../src/agent/agent-core.js'
import { ChannelActor } from '../src/channel/channel.actor.js'
import { ChannelClosedError, CommitFailedError, MemberNotFoundError, AlreadyMemberError } from '../src/channel/errors.js'
import { META_ADDS, META_REMOVES, META_ROLES, refusal, requireRole, rolesJson } from '../src/channel/roles.js'
import type { CommitKind, CommitRequest, SubmitCommitInput, SubmitCommitOutput } from '../src/machines/channel.machine.js'
import { idKey } from '../src/relay/dedup-window.js'
import { DeliveryMode, MessageType } from '../src/wire/envelope.pb.js'
import type { Ack, Envelope } from '../src/wire/envelope.pb.js'
import { newEnvelope } from '../src/wire/new-envelope.js'
import { modelled } from './channel-calibration.js'
import type { ChannelCalibration, CostQuantity } from './channel-calibration.js'
import type { ChannelRecorder } from './channel-recorder.js'
import { SimSession } from './sim-session.js'
import type { SimAgentHost } from './sim-session.js'
import { answerJoinRequest, answerLeaveRequest } from './channel-protocols.js'
import { decodeJson, encodeJson } from './channel-model.js'
import type { ModelCommit, ModelWelcome, Roster } from './channel-model.js'

export interface ChannelMemberHost {
  agents: SimAgentHost
  recorder: ChannelRecorder
  costs: ChannelCalibration
  /** Rosters by epoch state, for every channel (a state hash names one channel's epoch). */
  rosters: Map<string, Roster>
}

interface MemberSub extends CoreSubscription { readonly member: ChannelMember }

interface Flight {
  id: string
  on: number
  ticket: number
  applied: PromiseWithResolvers<{ epoch: number, members: string[], hash: string }>
  done: boolean
  joiner?: string
}

const HANDLERS: AgentCoreHandlers<MemberSub> = {
  deliver: (sub, env) => { sub.member.onStream(env) },
  end: () => {}
}

const TYPES: Record<CommitKind, MessageType> = { add: MessageType.GROUP_ADD, remove: MessageType.GROUP_REMOVE, update: MessageType.GROUP_PROPOSAL, roles: MessageType.GROUP_PROPOSAL }
const COMMITS = new Set<MessageType>([MessageType.GROUP_ADD, MessageType.GROUP_REMOVE, MessageType.GROUP_PROPOSAL])
const BUILD_COST: Record<CommitKind, CostQuantity> = { add: 'addMs', remove: 'removeMs', update: 'updateMs', roles: 'updateMs' }
function deferred<T> (): PromiseWithResolvers<T> {
  let resolve!: (v: T | PromiseLike<T>) => void
  let reject!: (e?: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  // Rejected when the member leaves with nobody awaiting it any more: not an unhandled rejection.
  promise.catch(() => {})
  return { promise, resolve, reject }
}

export type MemberState = 'outside' | 'invited' | 'joining' | 'member' | 'left'

export class ChannelMember {
  readonly name: string
  readonly index: number
  readonly relay: number
  readonly channel: string
  readonly host: ChannelMemberHost
  readonly session: SimSession<MemberSub>
  readonly core: AgentCore<MemberSub>
  state: MemberState = 'outside'
  epoch = 0
  hash = ''
  roster: Roster = { members: [], set: new Set(), roles: { owner: '', admins: [] } }
  wireEpoch = 0
  position = 0
  /** The channel machine, once this member holds the channel. */
  actor?: ChannelActor
  /** The leave protocol under way, told when the removal is applied. */
  leaving?: { ended: () => void }
  /** Replies (JoinReply, LeaveReply) awaited, by the request's message id. */
  readonly replies = new Map<string, (env: Envelope) => void>()
  private flight?: Flight
  private lock: Promise<unknown> = Promise.resolve()
  private epochWaiters: Array<{ epoch: number, resolve: () => void }> = []
  /** Recorder tickets of the commits asked of the machine, by the machine's commit id. */
  readonly tickets = new Map<number, number>()
  private counter = 0
  private sub?: MemberSub

  constructor (index: number, relay: number, channel: string, host: ChannelMemberHost) {
    this.index = index
    this.relay = relay
    this.channel = channel
    this.host = host
    this.name = `sim/mls/member/m${index}`
    this.session = new SimSession<MemberSub>(this.name, relay, undefined, host.agents)
    this.core = new AgentCore<MemberSub>({ name: this.name, port: this.session, clock: host.agents.clock, publishTimeoutMs: host.agents.publishTimeoutMs, handlers: HANDLERS })
    this.session.attach(this.core)
    this.core.onControl(env => { this.onControl(env) })
  }

  private get now (): number { return this.host.agents.now() }
  get size (): number { return this.roster.members.length }
  cost (q: CostQuantity, n = this.size): number { return modelled(this.host.costs, q, n) }

  connect (): void { this.session.connect() }
  /** Its relay crashed: the session is gone; it reconnects with backoff. */
  relayDown (): void { this.session.relayDown() }

  // ---- becoming a member ----

  /** Creates the channel: epoch 0 with this member as its only member and owner. */
  async create (): Promise<void> {
    const hash = createHash('sha256').update(`genesis:${this.channel}:${this.name}`).digest('hex')
    const roster: Roster = { members: [this.name], set: new Set([this.name]), roles: { owner: this.name, admins: [] } }
    this.host.rosters.set(hash, roster)
    this.adopt(0, hash, roster, 0, 0)
    this.host.recorder.applied(this.channel, 0, hash, this.name, this.now, 0, 1, false)
    await this.open(false, 1)
  }

  /** Joins from a Welcome (./channel-protocols.ts checked it is awaited). */
  async joinFrom (w: ModelWelcome): Promise<void> {
    const roster = this.host.rosters.get(w.hash)
    if (roster == null) throw new Error(`a Welcome to ${this.channel} names a state nobody built`)
    this.state = 'joining'
    await this.locked(async () => { await this.sleep(this.cost('joinMs', roster.members.length)) })
    this.adopt(w.epoch, w.hash, roster, w.wireEpoch, w.seq)
    await this.open(true, w.seq + 1)

    this.host.recorder.joined(this.name, this.now)
  }

  private adopt (epoch: number, hash: string, roster: Roster, wireEpoch: number, position: number): void {
    this.epoch = epoch
    this.hash = hash
    this.roster = roster
    this.wireEpoch = wireEpoch
    this.position = position
  }

  /** Starts the channel machine and the stream from `fromSeq`. */
  private async open (joining: boolean, fromSeq: number): Promise<void> {
    this.state = 'member'
    this.actor = new ChannelActor({ name: this.channel, self: this.name, joining }, {
      submitCommit: async (input, signal) => await this.submitCommit(input, signal),
      catchUp: async (epoch, signal) => { await this.waitForWireEpoch(epoch, signal) },
      onEnded: () => { this.finish() }
    })
    const ev = { epoch: this.epoch, members: this.roster.members }
    this.actor.send(joining ? { type: 'channel.joined', ...ev } : { type: 'channel.created', ...ev })
    this.sub = { name: this.channel, position: 0, member: this }
    await this.core.subscribe(this.sub, { fromSeq, timeoutMs: Infinity })
  }

  private finish (): void {
    if (this.state === 'left') return
    this.state = 'left'
    this.flight?.applied.reject(new ChannelClosedError(`${this.name} left ${this.channel}`, 'left'))
    if (this.sub != null) this.core.unsubscribe(this.sub)
    this.host.recorder.left(this.name, this.now)
    this.leaving?.ended()
  }

  // ---- commits ----

  /** Asks the channel machine for a commit (the recorder's `ticket`); resolves true once acked and applied here. */
  async commit (request: CommitRequest, ticket: number, id?: number): Promise<SubmitCommitOutput> {
    const actor = this.actor
    if (actor == null || this.state !== 'member') throw new ChannelClosedError(`${this.name} holds no open ${this.channel}`, 'closed')
    const commitId = id ?? actor.newCommitId()
    this.tickets.set(commitId, ticket)
    try {
      const out = await actor.commit(request, commitId)
      this.host.recorder.acked(ticket, out.epoch, this.now, this.relay)
      return out
    } catch (err) {
      this.host.recorder.failed(ticket, err)
      throw err
    } finally {
      this.tickets.delete(commitId)
    }
  }

  /** A self-update (new leaf and path keys), counted by the recorder; never throws. */
  async update (): Promise<void> {
    const ticket = this.host.recorder.request(this.channel, 'update', this.name, this.now)
    await this.commit({ kind: 'update' }, ticket).catch(() => {})
  }

  /** The machine's `submitCommit`: builds on the current epoch, sends, resolves once it came back in the stream and is applied. */
  private async submitCommit ({ id, request }: SubmitCommitInput, signal: AbortSignal): Promise<SubmitCommitOutput> {
    const ticket = this.tickets.get(id) ?? 0
    const rec = this.host.recorder
    const { env, flight } = await this.locked(async () => {
      this.checkOpen()
      requireRole(this.roster.roles, this.name, request.kind, this.channel)
      await this.sleep(this.cost(BUILD_COST[request.kind]))
      this.checkOpen()
      const body: ModelCommit = { t: ticket, k: request.kind, by: this.name, on: this.epoch, h: this.hash, n: ++this.counter }
      let joiner: string | undefined
      if (request.kind === 'add') {
        joiner = decodeJson<{ name: string }>(request.keyPackage).name
        if (this.roster.set.has(joiner)) throw new AlreadyMemberError(`${joiner} is already a member of ${this.channel}`)
        body.add = [joiner]
      } else if (request.kind === 'remove') {
        const targets = [request.member, ...(request.also ?? [])].filter(m => this.roster.set.has(m) && m !== this.name)
        if (targets.length === 0) throw new MemberNotFoundError(`${request.member} is not a member of ${this.channel}`)
        body.rm = targets
      } else if (request.kind === 'roles') {
        body.roles = request.roles
      }
      const env = this.envelope(this.channel, encodeJson(body), TYPES[request.kind], DeliveryMode.MULTICAST)
      env.channelId = this.channel
      env.epoch = this.wireEpoch
      const setsRoles = body.roles ?? (this.epoch === 0 ? this.roster.roles : undefined)
      if (setsRoles != null) env.metadata.set(META_ROLES, rolesJson(setsRoles))
      if (body.add != null) env.metadata.set(META_ADDS, JSON.stringify(body.add))
      if (body.rm != null) env.metadata.set(META_REMOVES, JSON.stringify(body.rm))
      const flight: Flight = { id: idKey(env.messageId), on: this.epoch, ticket, applied: deferred(), done: false, joiner }
      this.flight = flight
      rec.attempt(ticket)
      return { env, flight }
    })
    let ack: Ack
    try {
      ack = await this.core.send(env, signal)
    } catch (err) {
      if (flight.done) {
        // The ack was lost but the commit is in the stream: it is the epoch's commit.
        ack = { messageId: env.messageId, seq: this.position, code: 0, reason: '', epoch: this.wireEpoch }
      } else {
        if (this.flight === flight) this.flight = undefined
        if ((err as Error).name === 'StaleEpochError') {
          rec.nack(ticket)
          throw { stale: true, epoch: (err as { epoch: number }).epoch } // eslint-disable-line @typescript-eslint/only-throw-error
        }
        throw err
      }
    }
    const applied = await flight.applied.promise
    const welcome = flight.joiner != null
      ? { joiner: flight.joiner, bytes: encodeJson({ epoch: applied.epoch, hash: applied.hash, seq: ack.seq, wireEpoch: env.epoch + 1 } satisfies ModelWelcome), seq: ack.seq, wireEpoch: env.epoch + 1 }
      : undefined
    return { epoch: applied.epoch, members: applied.members, welcome }
  }

  private async waitForWireEpoch (epoch: number, signal: AbortSignal): Promise<void> {
    if (this.wireEpoch >= epoch) return
    await new Promise<void>((resolve, reject) => {
      this.epochWaiters.push({ epoch, resolve })
      signal.addEventListener('abort', () => { reject(signal.reason as Error) }, { once: true })
    })
  }

  // ---- application messages ----

  /** Seals and sends one application message; resolves once the sequencer acknowledged it. */
  async say (): Promise<void> {
    if (this.state !== 'member') return
    const env = await this.locked(async () => {
      await this.sleep(this.cost('sealMs'))
      return this.envelope(this.channel, encodeJson({ e: this.epoch, by: this.name }), MessageType.MSG, DeliveryMode.MULTICAST)
    })
    await this.core.send(env)
    this.host.recorder.messagesSent++
  }

  // ---- the stream ----

  onStream (env: Envelope): void {
    void this.locked(async () => { await this.process(env) }).catch(() => {})
  }

  private async process (env: Envelope): Promise<void> {
    const seq = env.seq
    if (seq <= this.position || this.state !== 'member') return
    const rec = this.host.recorder
    if (seq > this.position + 1) rec.gaps += seq - this.position - 1
    try {
      if (env.type === MessageType.MSG) {
        const m = decodeJson<{ e: number, by: string }>(env.payload)
        if (m.by === this.name) { rec.messagesRead++; return }
        await this.sleep(this.cost('openMs'))
        // Key retention 1 (DEFAULT_KEY_RETENTION): this epoch's keys and the one before.
        if (m.e === this.epoch || m.e === this.epoch - 1) rec.messagesRead++
        else rec.messagesRejected++
      } else if (COMMITS.has(env.type)) {
        this.wireEpoch++
        await this.receiveCommit(env)
      }
    } finally {
      if (this.state === 'member') {
        this.position = seq
        for (const w of this.epochWaiters.filter(w => w.epoch <= this.wireEpoch)) w.resolve()
        this.epochWaiters = this.epochWaiters.filter(w => w.epoch > this.wireEpoch)
      }
    }
  }

  private async receiveCommit (env: Envelope): Promise<void> {
    const rec = this.host.recorder
    const c = decodeJson<ModelCommit>(env.payload)
    const flight = this.flight
    const own = flight != null && flight.id === idKey(env.messageId)
    if (own) {
      this.flight = undefined
      if (c.on !== this.epoch || c.h !== this.hash) { rec.ownCommitsLost++; flight.applied.reject(new CommitFailedError(`own commit built on epoch ${c.on}, the group is at ${this.epoch}`)); return }
    } else {
      // MLS opens a commit only with the keys of the epoch it was built on.
      if (c.by === this.name || c.on !== this.epoch || c.h !== this.hash) { rec.commitsRefused++; return }
      const action = c.k === 'roles' ? 'roles' : c.k
      if (refusal(this.roster.roles, c.by, action) != null || !this.roster.set.has(c.by)) { rec.commitsRefused++; return }
      await this.sleep(this.cost('applyMs'))
    }
    const hash = createHash('sha256').update(this.hash).update(env.payload).digest('hex')
    let roster = this.host.rosters.get(hash)
    if (roster == null) {
      const out = new Set(c.rm ?? [])
      const members = [...this.roster.members.filter(m => !out.has(m)), ...(c.add ?? [])]
      roster = { members, set: new Set(members), roles: c.roles ?? this.roster.roles }
      this.host.rosters.set(hash, roster)
    }
    this.epoch++
    this.hash = hash
    this.roster = roster
    const stays = roster.set.has(this.name)
    rec.applied(this.channel, this.epoch, hash, this.name, this.now, c.t, roster.members.length - (c.add?.length ?? 0), stays)
    if (own) {
      flight.done = true
      flight.applied.resolve({ epoch: this.epoch, members: roster.members, hash })
    }
    this.actor?.send({ type: 'epoch.changed', epoch: this.epoch, members: roster.members })
    if (!stays) this.actor?.send({ type: 'member.removed' })
  }

  // ---- control traffic ----

  private onControl (env: Envelope): void {
    switch (env.type) {
      case MessageType.JOIN_REPLY:
      case MessageType.LEAVE_REPLY:
        this.replies.get(idKey(env.correlationId))?.(env)
        return
      case MessageType.JOIN_REQUEST:
        void answerJoinRequest(this, env).catch(() => {})
        return
      case MessageType.GROUP_WELCOME:
        if (this.state !== 'invited' || env.channelId !== this.channel) return
        void this.joinFrom(decodeJson<ModelWelcome>(env.payload)).catch(() => {})
        return
      case MessageType.LEAVE_REQUEST:
        void answerLeaveRequest(this, env).catch(() => {})
    }
  }

  // ---- plumbing ----

  envelope (to: string, payload: Uint8Array<ArrayBuffer>, type: MessageType, mode: DeliveryMode): Envelope {
    const id = new Uint8Array(16)
    const v = new DataView(id.buffer)
    v.setUint32(0, 0x5c5c0000)
    v.setUint32(4, this.index)
    v.setUint32(8, ++this.counter)
    return newEnvelope({ messageId: id, payload, source: this.name, destination: to, mode, type })
  }

  /** Simulated CPU time on this member. */
  sleep (ms: number): Promise<void> {
    if (!(ms > 0)) return Promise.resolve()
    const s = this.host.agents.scheduler
    return new Promise<void>(resolve => { s.at(s.now() + ms, resolve) })
  }

  /** One writer at a time on the member's state, as in src/channel/channel.ts. */
  async locked<T> (f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f, f)
    this.lock = run.catch(() => {})
    return await run
  }

  private checkOpen (): void {
    if (this.state !== 'member') throw new ChannelClosedError(`${this.name} is not a member of ${this.channel}`, 'left')
  }
}
