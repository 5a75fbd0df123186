/**
 * The controller's election actor: `controllerElectionMachine` given its effects over
 * etcd. A campaign is etcd3's `client.election(name, ttl).campaign(value)` (etcd's own
 * election recipe: a key under the election's prefix on a lease of `ttlSeconds`, the
 * oldest key leads); the value is this controller's id and URL, so followers can name the
 * leader. A killed leader stops renewing its lease, etcd deletes its key after the TTL,
 * and the next candidate's key is the oldest. Who leads is read (etcd3's
 * `election.leader()`) every half second and reported as `leader.observed`.
 * A leader watches its own key: deleted under a live lease (an operator, a revoked
 * lease), the leadership is over, as when the lease is lost. With `namespace`, the election's
 * keys go under it (`<namespace>election/<name>/<lease id>`).
 *
 * Starting and stopping the leader's work is the controller's (`startLeadership`,
 * `stopLeadership`); this file only wins, loses and watches.
 */
import { createActor, fromCallback, fromPromise } from 'xstate'
import type { Actor } from 'xstate'
import type { Etcd3 } from 'etcd3'
import { controllerElectionMachine } from '../machines/controller-election.machine.js'
import type { ControllerElectionEvent, ElectionFence } from '../machines/controller-election.machine.js'
import { stateName } from '../machines/inspection.js'
import type { Logger } from '../logger.js'

/** A killed leader is replaced within about this long (etcd deletes its key after the lease's TTL). */
export const DEFAULT_LEASE_TTL_SECONDS = 5
/** How often a controller reads who leads (for the `leader` it names to callers). */
const OBSERVE_INTERVAL_MS = 500

export interface ControllerElectionInit {
  client: Etcd3
  /** A key prefix the election's keys go under (the controller's store prefix). */
  namespace?: string
  /** The election's name (its keys go under etcd3's `election/<name>/`). */
  name: string
  /** The campaign lease's TTL, seconds (at least 1). */
  ttlSeconds: number
  /** This controller: its id and the URL followers send callers to. */
  self: { id: string, url: string }
  log: Logger
  /** Build the leader's work from the store, its writes fenced by `fence`. */
  startLeadership: (fence: ElectionFence) => Promise<void>
  /** Stop it (and wait for it); called when leadership ends and when the controller stops. */
  stopLeadership: () => Promise<void>
  onTransition?: (from: string, to: string) => void
}

export interface ControllerElection {
  /** `candidate.follower`, `candidate.leader.leading`, `retrying`, ... */
  readonly state: string
  readonly isLeader: boolean
  /** The leader's URL as last observed; undefined while none is known. */
  readonly leader: string | undefined
  /** Tells it that this controller is no longer the leader (a fenced write was refused). */
  lost: (reason: string) => void
  /** Resigns (another candidate takes over at once) and stops the leader's work. */
  stop: () => Promise<void>
}

interface CampaignValue { id: string, url: string }

function leaderUrl (value: string | undefined): string | undefined {
  if (value == null) return undefined
  try { return (JSON.parse(value) as CampaignValue).url } catch { return undefined }
}

export function startControllerElection (init: ControllerElectionInit): ControllerElection {
  const { client, log } = init
  const ns = init.namespace != null ? client.namespace(init.namespace) : client
  const value = JSON.stringify({ id: init.self.id, url: init.self.url } satisfies CampaignValue)
  const pending = new Set<Promise<unknown>>()
  const track = (p: Promise<unknown>): void => { pending.add(p); void p.finally(() => pending.delete(p)) }

  const machine = controllerElectionMachine.provide({
    delays: {
      RETRY: ({ context }) => Math.min(250 * 2 ** Math.min(context.failures, 10), 5_000) * (0.5 + Math.random())
    },
    actors: {
      campaign: fromCallback<ControllerElectionEvent>(({ sendBack }) => {
        let over = false
        let unwatch: (() => Promise<void>) | undefined
        const campaign = ns.election(init.name, init.ttlSeconds).campaign(value)
        const lose = (reason: string): void => { if (!over) sendBack({ type: 'election.lost', reason }) }
        campaign.on('elected', () => {
          void (async () => {
            // The fence: the campaign's key (its full key, prefix and all) and the revision it was made at.
            const key = await campaign.getCampaignKey()
            const res = await client.get(key).exec()
            const kv = res.kvs[0]
            if (kv == null) throw new Error(`the election key ${key} is gone`)
            // The key deleted under a live lease (an operator, a revoked lease): another candidate leads now.
            const watcher = await client.watch().key(key).startRevision(String(BigInt(res.header.revision) + 1n)).create()
            unwatch = async () => { await watcher.cancel() }
            watcher.on('delete', () => { lose(`the election key ${key} was deleted`) })
            if (over) { track(unwatch()); return }
            sendBack({ type: 'election.won', fence: { key, createRevision: kv.create_revision } })
          })().catch((err: Error) => { lose(err.message) })
        })
        campaign.on('error', (err: Error) => { lose(err.message) })
        return () => {
          over = true
          if (unwatch != null) track(unwatch().catch(() => {}))
          track(campaign.resign().catch(() => {}))
        }
      }),
      // The oldest key of the election leads: read every half second (one small range
      // request; more robust than a watch that must be re-established after every loss).
      observe: fromCallback<ControllerElectionEvent>(({ sendBack }) => {
        let over = false
        let known: string | undefined | null = null
        let timer: NodeJS.Timeout | undefined
        const election = ns.election(init.name, init.ttlSeconds)
        const look = (): void => {
          election.leader().then((v) => {
            const url = leaderUrl(v)
            if (!over && url !== known) { known = url; sendBack({ type: 'leader.observed', leader: url }) }
          }, (err: Error) => { log('reading the election\'s leader failed: %s', err.message) }).finally(() => {
            if (!over) timer = setTimeout(look, OBSERVE_INTERVAL_MS)
          })
        }
        look()
        return () => { over = true; clearTimeout(timer) }
      }),
      startLeadership: fromPromise<void, { fence: ElectionFence }>(async ({ input }) => { await init.startLeadership(input.fence) }),
      stopLeadership: fromPromise<void>(async () => { await init.stopLeadership() })
    },
    actions: {
      becameLeader: () => { log.info({ election: init.name, url: init.self.url }, 'leading: this controller runs the mesh') },
      steppedDown: ({ context }) => { log.warn({ election: init.name, reason: context.reason }, 'no longer leading (or the campaign failed): campaigning again') }
    }
  })

  const actor: Actor<typeof controllerElectionMachine> = createActor(machine)
  let last = ''
  actor.subscribe((snap) => {
    const to = stateName(snap.value)
    if (to !== last) { init.onTransition?.(last, to); last = to }
  })
  actor.start()

  return {
    get state () { return stateName(actor.getSnapshot().value) },
    get isLeader () { return actor.getSnapshot().matches({ candidate: { leader: 'leading' } }) },
    get leader () { return actor.getSnapshot().context.leader },
    lost: (reason) => { actor.send({ type: 'election.lost', reason }) },
    stop: async () => {
      if (actor.getSnapshot().status === 'active') {
        actor.send({ type: 'controller.stop' })
        await new Promise<void>((resolve) => {
          const check = (): void => { if (actor.getSnapshot().status !== 'active') { resolve(); sub.unsubscribe() } }
          const sub = actor.subscribe({ next: check, complete: check })
          check()
        })
      }
      actor.stop()
      await Promise.all([...pending])
    }
  }
}
