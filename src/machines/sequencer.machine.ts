/**
 * The sequencer of one multicast name, on the relay that owns it. It gives each message
 * the next sequence number and each accepted commit the next epoch. A commit
 * (`GroupProposal`, `GroupAdd`, `GroupRemove`) is accepted only if it was built on the
 * current epoch: the first for an epoch wins, later ones are rejected with the current
 * epoch so their senders catch up and retry (RFC 9420 §14: the delivery service orders
 * handshake messages).
 *
 * Channel roles (`ChannelRoles`: an owner, admins; everyone else is a member) are checked
 * next to the epoch: a channel's first commit that carries `slim.roles` metadata records
 * its roles (its owner must be the commit's sender); from then on `GroupAdd`,
 * `GroupRemove` and `GroupClose` need the owner or an admin, a `GroupProposal` (update)
 * anyone, and a commit whose `slim.roles` differs from the current roles the owner. A
 * refused one gets no sequence number and moves no epoch (`rejectForbidden`, with the rule
 * in its reason: `channel.add`, `channel.remove`, `channel.close`, `channel.roles`). A
 * channel whose first commit had no `slim.roles` (older clients) has no roles, and none
 * are enforced on it, whatever later commits carry.
 *
 * Closing (`GroupClose`): one the roles let through (owner or admin) is numbered and
 * archived like any message, and closes the name: from then on every submission is
 * refused (`rejectClosed`, rule `channel.closed`), but one, which reopens it: a new
 * channel's first commit from the closed channel's owner (a commit built on epoch 0
 * whose `slim.roles` names its sender as owner). The epoch count starts again with it
 * (it makes epoch 1) and its roles are the channel's. A name without roles (older
 * clients) is never closed: nothing says who may close it. Whether a name is closed is
 * part of its archive (its head is the `GroupClose`), so it survives a restart and
 * follows the archive to replicas (src/relay/sequencer.actor.ts).
 *
 * Pure: archiving, acking and publishing are the `appendToArchive`, `rejectStaleCommit`,
 * `rejectForbidden` and `rejectNotSequencer` actions, given real effects by the sequencer actor, which
 * reports `message.archived` when a write is durable. The effects read the submission
 * (envelope and origin) from the `message.submit` event they handle.
 *
 * `sequencer.stop` drains: nothing new is taken, and the sequencer stops once what it
 * numbered is durable. Whether the name's claim stands, and the handover of what it
 * numbered when a better claim wins, is the claim's machine
 * (src/machines/sequencer-claim.machine.ts), which stops the sequencer first.
 */
import { assign, setup } from 'xstate'
import { MessageType } from '../wire/envelope.pb.js'
import type { Envelope } from '../wire/envelope.pb.js'

export interface SequencerOrigin {
  /** The relay the sender is attached to. */
  relay: string
  /** The sender's agent name. */
  agent: string
}

export interface SequencerContext {
  name: string
  /** The last sequence number assigned. */
  head: number
  /** The channel's MLS epoch, as far as commits have moved it. */
  epoch: number
  /** Messages assigned but not yet durable. */
  inflight: number
  /** The channel's roles, once its first commit named them (none: no roles enforced). */
  roles?: ChannelRoles
  /** A `GroupClose` closed the name: it takes nothing but its owner's reopening. */
  closed: boolean
}

/** Who may do what in a channel, as the sequencer enforces it. */
export interface ChannelRoles {
  /** The channel's creator (an agent name). */
  owner: string
  admins: string[]
  /** Who outside the channel may learn who is in it (src/channel/discovery.ts); only the owner changes it. */
  discovery?: string
}

export type SequencerEvent =
  | { type: 'message.submit', envelope: Envelope, origin: SequencerOrigin }
  | { type: 'message.archived', count: number }
  | { type: 'sequencer.stop' }

export interface SequencerInput { name: string, head: number, epoch: number, roles?: ChannelRoles, closed?: boolean }

const COMMITS = new Set<MessageType>([MessageType.GROUP_PROPOSAL, MessageType.GROUP_ADD, MessageType.GROUP_REMOVE])

export function isCommitType (type: MessageType): boolean {
  return COMMITS.has(type)
}

/** The metadata keys of channel commits the sequencer reads. */
export const ROLES_KEY = 'slim.roles'

/** Parses `slim.roles` (JSON `{"owner": "...", "admins": [...]}`); undefined if it is not that. */
export function parseRoles (text: string): ChannelRoles | undefined {
  let v: unknown
  try { v = JSON.parse(text) } catch { return undefined }
  if (v == null || typeof v !== 'object') return undefined
  const { owner, admins } = v as { owner?: unknown, admins?: unknown }
  if (typeof owner !== 'string' || owner === '') return undefined
  if (admins != null && !(Array.isArray(admins) && admins.every(a => typeof a === 'string'))) return undefined
  const { discovery } = v as { discovery?: unknown }
  return { owner, admins: [...new Set((admins as string[] | undefined) ?? [])], ...(typeof discovery === 'string' ? { discovery } : {}) }
}

function sameRoles (a: ChannelRoles, b: ChannelRoles): boolean {
  if (a.owner !== b.owner || a.admins.length !== b.admins.length || (a.discovery ?? 'none') !== (b.discovery ?? 'none')) return false
  const set = new Set(a.admins)
  return b.admins.every(x => set.has(x))
}

/** What the roles say of a submission: refused (with the rule and why), or taken (with the roles it sets, if any). */
export type RolesVerdict = { refused: { rule: string, reason: string }, roles?: undefined } | { refused?: undefined, roles?: ChannelRoles }

const TAKEN: RolesVerdict = {}
const RIGHTS: Partial<Record<MessageType, { rule: string, what: string }>> = {
  [MessageType.GROUP_ADD]: { rule: 'channel.add', what: 'add members to' },
  [MessageType.GROUP_REMOVE]: { rule: 'channel.remove', what: 'remove members from' },
  [MessageType.GROUP_CLOSE]: { rule: 'channel.close', what: 'close' }
}

/**
 * The roles check of a submission (pure; `roles`, `epoch`: the channel's now). Cheap for
 * anything but commits and `GroupClose`: one lookup.
 */
export function checkRoles (name: string, roles: ChannelRoles | undefined, epoch: number, env: Envelope): RolesVerdict {
  const commit = isCommitType(env.type)
  if (!commit && env.type !== MessageType.GROUP_CLOSE) return TAKEN
  const source = env.source
  if (roles == null) {
    // Roles are named by the channel's first commit, or never (older clients: none enforced).
    if (!commit || epoch !== 0) return TAKEN
    const text = env.metadata?.get(ROLES_KEY)
    if (text == null) return TAKEN
    const named = parseRoles(text)
    if (named == null) return { refused: { rule: 'channel.roles', reason: `(channel.roles) the first commit of ${name} carries ${ROLES_KEY} that is not {"owner": "<agent name>", "admins": [...]}` } }
    if (named.owner !== source) return { refused: { rule: 'channel.roles', reason: `(channel.roles) the first commit of ${name} names ${named.owner} as its owner, but ${source} sent it: a channel's owner is its creator` } }
    return { roles: named }
  }
  const right = RIGHTS[env.type]
  const isOwner = source === roles.owner
  if (right != null && !isOwner && !roles.admins.includes(source)) {
    return { refused: { rule: right.rule, reason: `(${right.rule}) ${source} is a member of ${name}, not its owner or an admin: only they ${right.what} it` } }
  }
  const text = commit ? env.metadata?.get(ROLES_KEY) : undefined
  if (text == null) return TAKEN
  const named = parseRoles(text)
  if (named == null) return { refused: { rule: 'channel.roles', reason: `(channel.roles) a commit to ${name} carries ${ROLES_KEY} that is not {"owner": "<agent name>", "admins": [...]}` } }
  if (sameRoles(named, roles)) return TAKEN
  if (!isOwner) return { refused: { rule: 'channel.roles', reason: `(channel.roles) ${source} is ${roles.admins.includes(source) ? 'an admin' : 'a member'} of ${name}, not its owner: only the owner (${roles.owner}) changes its roles` } }
  return { roles: named }
}

/**
 * Whether `env` reopens a closed name: a new channel's first commit (built on epoch 0,
 * with `slim.roles`) from the closed channel's owner, naming itself owner. Undefined if
 * not; else the roles it sets.
 */
export function reopening (roles: ChannelRoles | undefined, env: Envelope): ChannelRoles | undefined {
  if (roles == null || !isCommitType(env.type) || env.epoch !== 0 || env.source !== roles.owner) return undefined
  const text = env.metadata?.get(ROLES_KEY)
  const named = text != null ? parseRoles(text) : undefined
  return named?.owner === env.source ? named : undefined
}

/** Why a submission to a closed name is refused (rule `channel.closed`). */
export function closedReason (name: string, roles: ChannelRoles | undefined): string {
  return `(channel.closed) ${name} was closed by a GroupClose; it takes nothing more until its owner${roles != null ? ` (${roles.owner})` : ''} reopens it with a new channel's first commit`
}

function verdictOf (context: SequencerContext, event: SequencerEvent): RolesVerdict {
  return event.type === 'message.submit' ? checkRoles(context.name, context.roles, context.epoch, event.envelope) : TAKEN
}

export const sequencerMachine = setup({
  types: {
    context: {} as SequencerContext,
    events: {} as SequencerEvent,
    input: {} as SequencerInput
  },
  guards: {
    isStaleCommit: ({ context, event }) =>
      event.type === 'message.submit' && isCommitType(event.envelope.type) && event.envelope.epoch !== context.epoch,
    isForbidden: ({ context, event }) => verdictOf(context, event).refused != null,
    isReopening: ({ context, event }) => context.closed && event.type === 'message.submit' && reopening(context.roles, event.envelope) != null,
    isClosed: ({ context }) => context.closed,
    isClosing: ({ context, event }) => event.type === 'message.submit' && event.envelope.type === MessageType.GROUP_CLOSE && context.roles != null,
    isNothingInFlight: ({ context }) => context.inflight === 0
  },
  actions: {
    assignSequence: assign(({ context, event }) => {
      if (event.type !== 'message.submit') return {}
      const commit = isCommitType(event.envelope.type)
      return { head: context.head + 1, epoch: commit ? context.epoch + 1 : context.epoch, inflight: context.inflight + 1 }
    }),
    recordRoles: assign(({ context, event }) => {
      const roles = verdictOf(context, event).roles
      return roles != null ? { roles } : {}
    }),
    recordClosed: assign({ closed: true }),
    recordReopened: assign(({ event }) => {
      const roles = event.type === 'message.submit' ? reopening({ owner: event.envelope.source, admins: [] }, event.envelope) : undefined
      // The new channel's first commit: the epoch count starts again (assignSequence makes it 1).
      return roles != null ? { closed: false, epoch: 0, roles } : {}
    }),
    recordArchived: assign(({ context, event }) => event.type === 'message.archived'
      ? { inflight: Math.max(0, context.inflight - event.count) }
      : {}),
    // Effects, given by the sequencer actor:
    appendToArchive: (_, _params: { seq: number, epoch: number, roles?: ChannelRoles, closed?: boolean }) => {},
    rejectStaleCommit: (_, _params: { epoch: number }) => {},
    rejectForbidden: (_, _params: { rule: string, reason: string }) => {},
    rejectClosed: (_, _params: { reason: string }) => {},
    rejectNotSequencer: () => {}
  }
}).createMachine({
  id: 'sequencer',
  context: ({ input }) => ({ name: input.name, head: input.head, epoch: input.epoch, inflight: 0, closed: input.closed === true && input.roles != null, ...(input.roles != null ? { roles: input.roles } : {}) }),
  initial: 'active',
  states: {
    active: {
      on: {
        'message.submit': [
          {
            guard: 'isReopening',
            actions: [
              'recordReopened',
              'assignSequence',
              { type: 'appendToArchive', params: ({ context }) => ({ seq: context.head, epoch: context.epoch, ...(context.roles != null ? { roles: context.roles } : {}), closed: false }) }
            ]
          },
          { guard: 'isClosed', actions: { type: 'rejectClosed', params: ({ context }) => ({ reason: closedReason(context.name, context.roles) }) } },
          { guard: 'isStaleCommit', actions: { type: 'rejectStaleCommit', params: ({ context }) => ({ epoch: context.epoch }) } },
          {
            guard: 'isForbidden',
            actions: {
              type: 'rejectForbidden',
              params: ({ context, event }) => verdictOf(context, event).refused ?? { rule: '', reason: '' }
            }
          },
          {
            guard: 'isClosing',
            actions: [
              'recordClosed',
              'assignSequence',
              { type: 'appendToArchive', params: ({ context }) => ({ seq: context.head, epoch: context.epoch, ...(context.roles != null ? { roles: context.roles } : {}), closed: true }) }
            ]
          },
          {
            actions: [
              'recordRoles',
              'assignSequence',
              { type: 'appendToArchive', params: ({ context }) => ({ seq: context.head, epoch: context.epoch, ...(context.roles != null ? { roles: context.roles } : {}) }) }
            ]
          }
        ],
        'message.archived': { actions: 'recordArchived' },
        'sequencer.stop': 'draining'
      }
    },
    draining: {
      // Accept nothing new; wait until what was assigned is durable, then stop.
      always: { guard: 'isNothingInFlight', target: 'stopped' },
      on: {
        'message.submit': { actions: 'rejectNotSequencer' },
        'message.archived': { actions: 'recordArchived' }
      }
    },
    // Final: the actor refuses submissions itself once it is done.
    stopped: { type: 'final' }
  }
})
