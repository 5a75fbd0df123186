/**
 * The relay's end of the control plane: the registration actor (src/machines/
 * registration.machine.ts given its effects). It registers with a join token (once: the
 * registration, credential and last applied state are kept in the relay's store), then
 * applies each generation of the desired state, heartbeats with its generation, item
 * statuses and a summary, watches for notices of new generations, and retries an
 * unreachable controller forever with jittered backoff while the relay runs on what it
 * applied last (across restarts too).
 *
 * It may be given several controllers of one mesh (they share their state in etcd, and
 * one leads): a request that gets no answer, or the answer "not the leader", goes next
 * to the leader that answer names, then to the other URLs in turn; the one that answers
 * is used from then on.
 */
import { createActor } from 'xstate'
import type { Actor } from 'xstate'
import { fromCallback, fromPromise } from 'xstate'
import type { PrivateKey } from '@libp2p/interface'
import type { Store } from '../store/store.js'
import { authorityPublic } from '../trust/keys.js'
import type { AuthorityPublic } from '../trust/keys.js'
import { TrustAnchors } from '../trust/verifier.js'
import type { RelayPolicy } from '../relay/policy.js'
import { registrationMachine } from '../machines/registration.machine.js'
import type { RegistrationEvent } from '../machines/registration.machine.js'
import { stateName } from '../machines/inspection.js'
import type { Logger } from '../logger.js'
import { verifyState } from './desired-state.js'
import type { SignedState } from './desired-state.js'
import { parseJoinToken } from './join-tokens.js'
import { proofSigner } from './proofs.js'
import type { ProofSigner } from './proofs.js'
import { NamePolicyEnforcer } from './name-policy.js'
import type { RetentionPolicy } from '../store/retention.js'
import { StateApplier } from './apply-state.js'
import type { ControlledRelay } from './apply-state.js'
import type { ItemStatus } from './roster.js'
import { ControllerError, DesiredStateError, NotLeaderError } from './errors.js'
import { watchEvents } from './event-source.js'
import type { SequencerLease } from './lease-book.js'

const REGISTRATION_KEY = 'control/registration'
const STATE_KEY = 'control/state'
const REQUEST_TIMEOUT_MS = 5_000
/** The longest wait between two attempts to reach the controller (jittered ±50%): it never gives up, and comes back within seconds. */
const MAX_BACKOFF_MS = 5_000

export interface ControlOptions {
  /** The controller's base URL, `http://127.0.0.1:7460`; several of one mesh comma-separated (or in `urls`). */
  url?: string
  /** More controllers of the same mesh (they share etcd; one leads): tried in turn when one fails or does not lead. */
  urls?: string[]
  /** A one-time join token (`slim-mesh ctl tokens create`); not needed once registered. */
  joinToken?: string
}

interface Registration { url: string, authority: AuthorityPublic, credential: string }

export interface ControlClientInit extends ControlOptions {
  store: Store
  key: PrivateKey
  peerId: string
  log: Logger
  onTransition?: (actor: string, from: string, to: string, event: string) => void
}

export class ControlClient {
  authority!: AuthorityPublic
  credential!: string
  private url: string
  /** Every controller it may use, in the order given. */
  private readonly urls: string[]
  private readonly store: Store
  private readonly signer: ProofSigner
  private readonly log: Logger
  private readonly init: ControlClientInit
  private registered_!: { resolve: () => void, reject: (err: Error) => void }
  private pending?: SignedState
  private applied?: SignedState
  private readonly enforcer = new NamePolicyEnforcer()
  private applier?: StateApplier
  private readonly attached: Promise<void>
  private attach_!: () => void
  private relay?: ControlledRelay
  private actor?: Actor<typeof registrationMachine>
  private watchAbort?: AbortController
  private readonly leaseListeners: Array<(lease: SequencerLease) => void> = []
  private stopped = false

  private constructor (init: ControlClientInit, signer: ProofSigner, reg?: Registration, kept?: SignedState) {
    this.init = init
    this.urls = controllerUrls(init)
    this.url = this.urls[0] as string
    this.store = init.store
    this.signer = signer
    this.log = init.log
    if (reg != null) { this.authority = reg.authority; this.credential = reg.credential }
    this.pending = kept
    this.attached = new Promise(resolve => { this.attach_ = resolve })
  }

  /**
   * Takes the registration kept from an earlier run, or registers (the registration
   * actor's `joining`, retried with backoff while the controller does not answer), and
   * resolves once the relay holds its credential. A refusal (a bad or used join token)
   * rejects: trying again cannot help.
   */
  static async start (init: ControlClientInit): Promise<ControlClient> {
    controllerUrls(init)
    const signer = await proofSigner(init.key)
    const keptReg = await init.store.get(REGISTRATION_KEY)
    if (keptReg != null) {
      const reg = JSON.parse(new TextDecoder().decode(keptReg)) as Registration
      const keptState = await init.store.get(STATE_KEY)
      let state: SignedState | undefined
      if (keptState != null) {
        try { state = await verifyState(new TextDecoder().decode(keptState), reg.authority) } catch (err) { init.log.warn({ error: (err as Error).message }, 'the kept desired state does not verify; waiting for the controller') }
      }
      const client = new ControlClient(init, signer, reg, state)
      client.startActor(true, state?.state.generation ?? 0)
      init.log.info({ controller: client.url, generation: state?.state.generation ?? 0 }, 'registered with the controller earlier: running on the last applied state')
      return client
    }
    if (init.joinToken == null) throw new ControllerError(0, 'join-token.missing', 'this relay is not registered with a controller yet: give it a join token (slim-mesh ctl tokens create)')
    parseJoinToken(init.joinToken)
    const client = new ControlClient(init, signer)
    const registered = new Promise<void>((resolve, reject) => { client.registered_ = { resolve, reject } })
    client.startActor(false, 0)
    try {
      await registered
    } catch (err) {
      client.stop()
      throw err
    }
    return client
  }

  /** The registration actor's `register`: joins with the token, checks what comes back, keeps it. */
  private async join (): Promise<{ generation: number }> {
    const init = this.init
    const { mesh } = parseJoinToken(init.joinToken ?? '')
    let out: { authority: { mesh: string, jwk: Record<string, unknown> }, credential: string, state: string }
    try {
      out = await this.failover(async (base) => {
        const url = base + '/v1/register'
        return await call(url, 'POST', { dpop: await this.signer.sign('POST', url) }, { token: init.joinToken })
      }) as typeof out
    } catch (err) {
      const e = err as ControllerError
      if (e.status >= 400 && e.status < 500) this.registered_.reject(e) // refused: trying again cannot help
      else this.log.warn({ controller: this.url, error: e.message }, 'cannot reach the controller to register; trying again')
      throw err
    }
    try {
      // The authority must be the one the join token names (its key's thumbprint is the mesh id).
      const authority = await authorityPublic(out.authority.jwk, mesh).catch((err: Error) => { throw new DesiredStateError(`the controller's authority is not the mesh the join token names (${mesh}): ${err.message}`) })
      await new TrustAnchors({ authority }).verifyRelay(out.credential, init.peerId)
      const state = await verifyState(out.state, authority)
      const registration: Registration = { url: this.url, authority, credential: out.credential }
      await init.store.put(REGISTRATION_KEY, new TextEncoder().encode(JSON.stringify(registration)))
      await init.store.put(STATE_KEY, new TextEncoder().encode(state.jws))
      this.authority = authority
      this.credential = out.credential
      this.pending = state
      init.log.info({ controller: this.url, mesh, generation: state.state.generation }, 'registered with the controller')
      this.registered_.resolve()
      return { generation: 0 }
    } catch (err) {
      this.registered_.reject(err as Error)
      throw err
    }
  }

  private startActor (registered: boolean, generation: number): void {
    const onTransition = this.init.onTransition
    const machine = registrationMachine.provide({
      delays: {
        HEARTBEAT: () => this.pending?.state.heartbeatMs ?? this.applied?.state.heartbeatMs ?? 2_000,
        BACKOFF: ({ context }) => Math.min(250 * 2 ** Math.min(context.failures, 10), MAX_BACKOFF_MS) * (0.5 + Math.random())
      },
      actors: {
        register: fromPromise(async () => await this.join()),
        apply: fromPromise(async () => await this.applyPending()),
        heartbeat: fromPromise(async () => await this.heartbeat()),
        fetch: fromPromise(async () => await this.fetchState()),
        watch: fromCallback<RegistrationEvent>(({ sendBack }) => this.watch(sendBack))
      },
      actions: {
        controllerLost: () => { this.log.warn({ controller: this.url }, 'controller unreachable: running on the last applied state, retrying') },
        controllerBack: () => {}
      }
    })
    this.actor = createActor(machine, { input: { registered, generation } })
    let last = ''
    this.actor.subscribe(snap => {
      const to = stateName(snap.value)
      if (to !== last) { onTransition?.('registration', last, to, 'update'); last = to }
    })
    this.actor.start()
  }

  /** Gives the client the relay to apply states to (once it is built). */
  attach (relay: ControlledRelay, localPolicy?: RelayPolicy): void {
    this.relay = relay
    this.applier = new StateApplier(relay, this.enforcer, this.log, localPolicy)
    this.attach_()
  }

  /** The registration actor's state now (`inSync`, `degraded`, ...). */
  get status (): string { return this.actor == null ? 'stopped' : stateName(this.actor.getSnapshot().value) }
  /** The generation applied last. */
  get generation (): number { return this.applied?.state.generation ?? 0 }
  get state (): SignedState | undefined { return this.applied }
  items (): ItemStatus[] { return this.applier?.items() ?? [] }
  /** What the desired state's per-name policies say the archive of `name` keeps (undefined: they say nothing). */
  retentionOf (name: string): RetentionPolicy | undefined { return this.enforcer.retentionOf(name) }

  private async applyPending (): Promise<{ generation: number }> {
    await this.attached
    const s = this.pending
    if (s == null || this.applier == null) return { generation: this.generation }
    if (this.applied == null || s.hash !== this.applied.hash) {
      await this.applier.apply(s.state)
      this.applied = s
      await this.store.put(STATE_KEY, new TextEncoder().encode(s.jws)).catch(() => {})
      this.log.info({ generation: s.state.generation, hash: s.hash.slice(0, 12) }, 'desired state applied')
    }
    return { generation: s.state.generation }
  }

  private async request (method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    return await this.failover(async (base) => {
      const url = base + path
      return await call(url, method, { authorization: `SlimMesh ${this.credential}`, dpop: await this.signer.sign(method, url) }, body, signal)
    })
  }

  /**
   * `fn` against the controller in use; if it gets no answer or "not the leader", against
   * the leader that answer names, then each other controller once. The first that answers
   * is the one in use from then on; if none does, the last refusal is thrown.
   */
  private async failover<T> (fn: (base: string) => Promise<T>): Promise<T> {
    const tried = new Set<string>()
    let next: string | undefined = this.url
    let last: unknown
    while (next != null) {
      const base: string = next
      tried.add(base)
      try {
        const out = await fn(base)
        if (this.url !== base) { this.log.info({ controller: base, was: this.url }, 'controller changed: this one answers (and leads)'); this.url = base }
        return out
      } catch (err) {
        const e = err as ControllerError
        if (this.stopped || !(e instanceof ControllerError) || !(e.status === 0 || e instanceof NotLeaderError)) throw err
        last = err
        const hint = e instanceof NotLeaderError && e.leader != null ? e.leader.replace(/\/+$/, '') : undefined
        next = hint != null && !tried.has(hint) && /^https?:\/\//.test(hint) ? hint : this.urls.find(u => !tried.has(u))
      }
    }
    throw last
  }

  private async heartbeat (): Promise<{ generation: number }> {
    const relay = this.relay
    if (relay == null) return { generation: 0 }
    await this.applier?.reconcileLinks()
    const out = await this.request('POST', '/v1/heartbeat', {
      generation: this.generation,
      hash: this.applied?.hash ?? '',
      items: this.items(),
      summary: relay.summary(),
      addrs: relay.multiaddrs,
      routes: relay.routes(),
      actors: relay.actors()
    }) as { generation: number }
    return { generation: out.generation }
  }

  private async fetchState (): Promise<{ generation: number }> {
    const out = await this.request('GET', '/v1/state') as { jws: string }
    const s = await verifyState(out.jws, this.authority)
    if (s.state.generation < (this.applied?.state.generation ?? 0)) throw new DesiredStateError(`the controller serves generation ${s.state.generation}, older than the ${this.generation} applied here`)
    this.pending = s
    return { generation: s.state.generation }
  }

  private watch (sendBack: (e: RegistrationEvent) => void): () => void {
    const abort = new AbortController()
    this.watchAbort = abort
    void (async () => {
      try {
        await this.failover(async (base) => {
          const url = base + '/v1/watch'
          await watchEvents(url, { authorization: `SlimMesh ${this.credential}`, dpop: await this.signer.sign('GET', url) }, abort.signal, (event, data) => {
            if (event === 'state') sendBack({ type: 'state.changed', generation: Number((data as { generation: number }).generation) })
            else if (event === 'lease') for (const fn of this.leaseListeners) fn(data as SequencerLease)
          })
        })
        if (!abort.signal.aborted && !this.stopped) sendBack({ type: 'controller.lost' })
      } catch (err) {
        if (!abort.signal.aborted && !this.stopped) { this.log('watch ended: %s', (err as Error).message); sendBack({ type: 'controller.lost' }) }
      }
    })()
    return () => { abort.abort() }
  }

  /** The sequencer lease of `name`, granted to this relay if nobody holds it. */
  async claimLease (name: string): Promise<SequencerLease> {
    return await this.request('POST', '/v1/leases', { name }) as SequencerLease
  }

  /** Tells the controller that `replica` holds everything acknowledged of `name` under `term` (this relay leads it). */
  async leaseCaughtUp (name: string, term: number, replica: string): Promise<void> {
    await this.request('POST', '/v1/leases/caught-up', { name, term, replica })
  }

  /** Each lease change the controller tells this relay of (it holds the lease, or held it). */
  onLease (fn: (lease: SequencerLease) => void): void { this.leaseListeners.push(fn) }

  stop (): void {
    this.stopped = true
    this.watchAbort?.abort()
    this.actor?.stop()
  }
}

/** One JSON request; a `ControllerError` for a refusal (with its rule) or no answer (status 0). */
async function call (url: string, method: string, headers: Record<string, string>, body?: unknown, signal?: AbortSignal): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url, {
      method,
      headers: { ...headers, ...(body != null ? { 'content-type': 'application/json' } : {}) },
      body: body != null ? JSON.stringify(body) : undefined,
      signal: signal != null ? AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) : AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    })
  } catch (err) {
    throw new ControllerError(0, 'controller.unreachable', `the controller at ${url} did not answer: ${(err as Error).message}`, { cause: err })
  }
  const text = await res.text()
  let json: unknown
  try { json = text === '' ? {} : JSON.parse(text) } catch { json = { message: text } }
  if (!res.ok) {
    const e = json as { rule?: string, message?: string, leader?: string | null }
    if (e.rule === 'controller.not-leader') throw new NotLeaderError(e.message ?? `the controller at ${url} does not lead`, e.leader ?? undefined)
    throw new ControllerError(res.status, e.rule ?? 'controller.error', e.message ?? `the controller answered ${res.status}`)
  }
  return json
}

export { call as controllerCall }

/** The controllers `url` (comma-separated) and `urls` name, without trailing slashes or repeats. */
export function controllerUrls (o: ControlOptions): string[] {
  const all = [...(o.url ?? '').split(','), ...(o.urls ?? [])].map(u => u.trim().replace(/\/+$/, '')).filter(u => u !== '')
  const urls = [...new Set(all)]
  if (urls.length === 0) throw new ControllerError(0, 'controller.url-missing', 'no controller URL given: control.url (or control.urls), http://host:port')
  return urls
}
