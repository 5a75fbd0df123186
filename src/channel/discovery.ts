/**
 * Channel discovery: an agent, member or not, asks a channel who is in it (names, roles,
 * epoch) and its members answer, within what the channel's discovery policy allows.
 *
 * The request (`DiscoveryRequest`) is multicast to the channel's name, so it goes through
 * the name's sequencer like any channel traffic: it reaches every subscriber on every
 * relay with the relays' one mechanism for "every subscriber", it needs only the grant
 * to publish to the name (what the mesh lets an outsider do is the relay's publish
 * check), it is ordered among the channel's commits (the answer is the roster at a point
 * of the channel's stream, the same at every member), and a closed name refuses it at
 * once (`NameClosedError`) instead of leaving the asker to time out. It is numbered and
 * archived like a message: that is its cost (retention bounds it). Members read it from
 * their channel stream (./channel.ts) and pass it here.
 *
 * No reply storm: only the owner and the admins who are members answer (a channel
 * without roles, or whose owner and admins are all gone: its first member in tree
 * order), each one reply, unicast to the asker (the relay-stamped `source`); the asker
 * takes the first and drops the rest. Requests older than their `slim.expires` (plus a
 * clock-skew allowance) are not answered: a member catching up on the stream after a
 * restart does not answer questions nobody waits for any more.
 *
 * What the answer holds: to a member (the asker's name is in the MLS tree) the member
 * list with roles and the epoch, always. To anyone else what the policy says
 * (`createChannel(name, { discovery })`, kept in the roles in the group context, so
 * every member answers alike; the owner changes it with `setDiscovery`):
 * `members` the same list, `count` the epoch and how many members, `none` (the default:
 * closed) a refusal naming the rule `channel.discovery` (DiscoveryRefusedError). Nobody
 * answering in time is DiscoveryTimeoutError.
 *
 * What relays see: the request and the reply are JSON in plaintext (a reply may go to a
 * non-member, who holds no key of the channel, so it cannot be MLS-encrypted). Relays
 * carry them untouched, but a relay on the path can read a reply's member list: member
 * lists are channel metadata, which relays partly see anyway (who subscribes, who
 * sends). A policy of `count` or `none` keeps the list off the wire towards outsiders;
 * a member's own question is answered with the list whatever the policy.
 *
 * Trust on: the reply is an ordinary unicast from the answering member to the asker, so
 * the answerer needs the right to send to it (a grant or the relay's policy); a refused
 * reply leaves the asker to time out.
 */
import type { Envelope } from '../wire/envelope.pb.js'
import { MessageType } from '../wire/envelope.pb.js'
import { idKey } from '../relay/dedup-window.js'
import type { ChannelAgent, ChannelInbound } from './agent-port.js'
import { DiscoveryRefusedError, DiscoveryTimeoutError, InvalidDiscoveryPolicyError, InvalidChannelMessageError } from './errors.js'
import { DISCOVERY_POLICIES } from './roles.js'
import type { ChannelRoles, DiscoveryPolicy } from './roles.js'

export type { DiscoveryPolicy }

export type MemberRole = 'owner' | 'admin' | 'member'

/** What a channel's member said of it. */
export interface ChannelDirectory {
  name: string
  /** The channel's MLS epoch when the member answered. */
  epoch: number
  /** The members with their roles, in tree order (a member asking, or the policy `members`). */
  members?: Array<{ name: string, role: MemberRole }>
  /** How many members (the policy `count`, and with `members`). */
  memberCount?: number
  /** The member that answered. */
  answeredBy: string
}

export interface DiscoverOptions {
  /** How long to wait for an answer (default DEFAULT_DISCOVERY_TIMEOUT_MS). */
  timeoutMs?: number
  signal?: AbortSignal
}

export const DEFAULT_DISCOVERY_TIMEOUT_MS = 5000
/** Metadata of a request: when the asker gives up (ms since the epoch). */
export const META_EXPIRES = 'slim.expires'
/** How far the answerer's clock may be behind the asker's before a request counts as expired. */
const CLOCK_SKEW_MS = 30_000

const enc = new TextEncoder()
const dec = new TextDecoder()

/** Throws InvalidDiscoveryPolicyError unless `p` is a policy (undefined: the default, `none`). */
export function checkDiscoveryPolicy (p: unknown): DiscoveryPolicy | undefined {
  if (p == null) return undefined
  if (!DISCOVERY_POLICIES.includes(p as DiscoveryPolicy)) throw new InvalidDiscoveryPolicyError(`discovery policy ${JSON.stringify(p)} is not one of ${DISCOVERY_POLICIES.join(', ')}`)
  return p as DiscoveryPolicy
}

/** Asks the channel `name` who is in it; resolves with the first member's answer. */
export async function discoverChannel (agent: ChannelAgent, name: string, options: DiscoverOptions = {}): Promise<ChannelDirectory> {
  options.signal?.throwIfAborted()
  const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS
  const req = agent.envelope(name, new Uint8Array(0), { mode: 'multicast' })
  req.type = MessageType.DISCOVERY_REQUEST
  req.channelId = name
  req.expectsReply = true
  req.metadata.set(META_EXPIRES, String(Date.now() + timeoutMs))
  const key = idKey(req.messageId)
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = options.signal != null ? AbortSignal.any([options.signal, timeout]) : timeout
  let off = (): void => {}
  try {
    return await new Promise<ChannelDirectory>((resolve, reject) => {
      off = agent.onControl(env => {
        if (env.type !== MessageType.DISCOVERY_REPLY || idKey(env.correlationId) !== key) return
        try { resolve(readReply(name, env)) } catch (err) { reject(err as Error) }
      })
      signal.addEventListener('abort', () => {
        reject(timeout.aborted && options.signal?.aborted !== true
          ? new DiscoveryTimeoutError(`no member of ${name} answered the discovery request within ${timeoutMs} ms (nobody has the channel open, or it is no channel)`, timeoutMs)
          : options.signal?.reason as Error)
      }, { once: true })
      // A refusal by the relays (no grant to publish to the name, the name closed) ends it at once.
      agent.send(req, signal).catch(err => { reject(err as Error) })
    })
  } finally {
    off()
  }
}

/** The answer in a DiscoveryReply, or its refusal as DiscoveryRefusedError. */
function readReply (name: string, env: Envelope): ChannelDirectory {
  let body: { epoch?: unknown, members?: unknown, memberCount?: unknown, policy?: unknown, reason?: unknown }
  try { body = JSON.parse(dec.decode(env.payload)) } catch (cause) { throw new InvalidChannelMessageError(`the discovery reply from ${env.source} is not JSON`, { cause }) }
  if (env.metadata.get('status') === 'refused') {
    const policy = typeof body.policy === 'string' ? body.policy : 'none'
    throw new DiscoveryRefusedError(`${env.source} refused to say who is in ${name} (channel.discovery): ${typeof body.reason === 'string' ? body.reason : `its discovery policy is ${policy}`}`, policy, env.source)
  }
  const out: ChannelDirectory = { name, epoch: typeof body.epoch === 'number' ? body.epoch : 0, answeredBy: env.source }
  if (Array.isArray(body.members)) out.members = (body.members as Array<{ name?: unknown, role?: unknown }>).filter(m => typeof m?.name === 'string').map(m => ({ name: m.name as string, role: m.role === 'owner' || m.role === 'admin' ? m.role : 'member' }))
  if (typeof body.memberCount === 'number') out.memberCount = body.memberCount
  return out
}

/** What a member knows of its channel when a request comes (the roster at that point of the stream). */
export interface DirectoryView {
  name: string
  /** This member's agent name. */
  self: string
  epoch: number
  members: string[]
  roles?: ChannelRoles
}

/** Whether `self` is one of those who answer: the owner and admins who are members, else the first member. */
export function answers (view: DirectoryView): boolean {
  const { roles, members, self } = view
  const managers = roles == null ? [] : [roles.owner, ...roles.admins].filter(m => members.includes(m))
  return managers.length > 0 ? managers.includes(self) : members[0] === self
}

/** What the channel tells `asker` under its policy: an answer, or a refusal. */
export function directoryFor (view: DirectoryView, asker: string): { status: 'answered' | 'refused', body: Record<string, unknown> } {
  const policy = view.roles?.discovery ?? 'none'
  const member = view.members.includes(asker)
  if (member || policy === 'members') {
    const members = view.members.map(name => ({ name, role: roleOf(view.roles, name) }))
    return { status: 'answered', body: { epoch: view.epoch, members, memberCount: members.length, policy } }
  }
  if (policy === 'count') return { status: 'answered', body: { epoch: view.epoch, memberCount: view.members.length, policy } }
  return { status: 'refused', body: { policy, reason: `${asker} is not a member of ${view.name}, whose discovery policy is none: outsiders learn nothing of who is in it` } }
}

function roleOf (roles: ChannelRoles | undefined, name: string): MemberRole {
  if (roles == null) return 'member'
  return roles.owner === name ? 'owner' : roles.admins.includes(name) ? 'admin' : 'member'
}

/**
 * A DiscoveryRequest read from the channel's stream: answered (unicast to its source) if
 * this member is one of those who answer and the request has not expired. Never blocks
 * the stream; a reply that cannot be sent leaves the asker to take another's or time out.
 */
export function answerDiscovery (agent: ChannelAgent, view: DirectoryView, req: ChannelInbound): void {
  if (!answers(view) || req.source === '') return
  const expires = Number(req.metadata.get(META_EXPIRES) ?? NaN)
  if (Number.isFinite(expires) && expires + CLOCK_SKEW_MS < Date.now()) return
  const { status, body } = directoryFor(view, req.source)
  const reply = agent.envelope(req.source, enc.encode(JSON.stringify(body)), { mode: 'unicast' })
  reply.type = MessageType.DISCOVERY_REPLY
  reply.channelId = view.name
  reply.correlationId = req.id as Uint8Array<ArrayBuffer>
  reply.metadata.set('status', status)
  if (status === 'refused') reply.metadata.set('rule', 'channel.discovery')
  // The relay acknowledges no reply: the send's own deadline ends it, unanswered either way.
  void agent.send(reply).catch(() => {})
}
