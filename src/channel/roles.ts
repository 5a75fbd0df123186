/**
 * Channel roles, and the check every member makes of every commit it is asked to apply.
 *
 * The roles contract (shared with the sequencer, src/relay): `owner` is one agent name
 * (the creator), `admins` agent names; every other member is a member.
 * - add / invite (GROUP_ADD), remove (GROUP_REMOVE), close (GROUP_CLOSE): owner or admin;
 * - change roles (a GroupContextExtensions commit, sent as GROUP_PROPOSAL): owner only;
 * - update (GROUP_PROPOSAL, a key update): any member.
 *
 * The roles live in the MLS group context as a custom extension (ROLES_EXTENSION, JSON
 * `{"owner":…,"admins":[…]}`), so a joiner learns them from its Welcome and every member
 * holds the same ones at the same epoch. Commit envelopes carry metadata the sequencer
 * checks without reading MLS: `slim.roles` (the roles, on the first commit and on a
 * roles change), `slim.adds` / `slim.removes` (JSON arrays of agent names). A member
 * checks the metadata matches what the commit does, so that what the sequencer let
 * through is what the members apply, and no member applies a commit the sequencer
 * would have refused.
 *
 * The roles JSON also carries the channel's discovery policy (`discovery`: what an agent
 * outside the channel may learn of who is in it, ./discovery.ts), so every member holds
 * the same one and only the owner changes it (a roles change). It is left out when it is
 * `none` (the default), so channels that never set it keep their roles JSON as it was.
 */
import { PermissionDeniedError } from './errors.js'

/** Extension type of the roles in the group context (RFC 9420 section 17.3: 0xF000-0xFFFF is private use). */
export const ROLES_EXTENSION = 0xF5A1

export const META_ROLES = 'slim.roles'
export const META_ADDS = 'slim.adds'
export const META_REMOVES = 'slim.removes'

/**
 * What an agent that is not a member learns when it asks the channel who is in it
 * (./discovery.ts): `members` the member list with roles, `count` how many, `none`
 * nothing (a typed refusal). Members always learn the list.
 */
export type DiscoveryPolicy = 'members' | 'count' | 'none'
export const DISCOVERY_POLICIES: readonly DiscoveryPolicy[] = ['members', 'count', 'none']

export interface ChannelRoles {
  owner: string
  admins: string[]
  /** Undefined: `none`. */
  discovery?: DiscoveryPolicy
}

const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })

/** The JSON the extension and `slim.roles` carry: `{"owner":…,"admins":[…]}` (then `"discovery"` unless `none`), in that key order. */
export function rolesJson (r: ChannelRoles): string {
  return JSON.stringify(r.discovery != null && r.discovery !== 'none' ? { owner: r.owner, admins: r.admins, discovery: r.discovery } : { owner: r.owner, admins: r.admins })
}

export function encodeRoles (r: ChannelRoles): Uint8Array { return enc.encode(rolesJson(r)) }

/** Parses roles JSON; undefined if it is not `{ owner: string, admins: string[], discovery?: DiscoveryPolicy }`. */
export function parseRoles (s: string): ChannelRoles | undefined {
  try {
    const j = JSON.parse(s) as { owner?: unknown, admins?: unknown, discovery?: unknown }
    if (typeof j?.owner !== 'string' || !Array.isArray(j.admins) || !j.admins.every(a => typeof a === 'string')) return undefined
    if (j.discovery != null && !DISCOVERY_POLICIES.includes(j.discovery as DiscoveryPolicy)) return undefined
    return { owner: j.owner, admins: [...(j.admins as string[])], ...(j.discovery != null ? { discovery: j.discovery as DiscoveryPolicy } : {}) }
  } catch {
    return undefined
  }
}

export function decodeRoles (bytes: Uint8Array): ChannelRoles | undefined {
  try { return parseRoles(dec.decode(bytes)) } catch { return undefined }
}

export function rolesEqual (a: ChannelRoles | undefined, b: ChannelRoles | undefined): boolean {
  if (a == null || b == null) return a === b
  return a.owner === b.owner && (a.discovery ?? 'none') === (b.discovery ?? 'none') && a.admins.length === b.admins.length && a.admins.every((x, i) => x === b.admins[i])
}

export function isManager (roles: ChannelRoles | undefined, name: string): boolean {
  // A channel without roles (saved before roles existed) keeps the old rule: any member.
  return roles == null || roles.owner === name || roles.admins.includes(name)
}

export type RoleAction = 'add' | 'remove' | 'close' | 'roles' | 'update'

const RULES: Record<RoleAction, string> = { add: 'channel.add', remove: 'channel.remove', close: 'channel.close', roles: 'channel.roles', update: 'channel.update' }

/** Why `name` may not do `action` under `roles`, or undefined if it may. */
export function refusal (roles: ChannelRoles | undefined, name: string, action: RoleAction): string | undefined {
  if (action === 'update') return undefined
  if (action === 'roles') {
    if (roles == null) return undefined
    return roles.owner === name ? undefined : `only the owner (${roles.owner}) changes roles`
  }
  return isManager(roles, name) ? undefined : `only the owner or an admin may ${action === 'add' ? 'add members' : action === 'remove' ? 'remove members' : 'close the channel'}`
}

const VERBS: Record<RoleAction, string> = { add: 'add members to', remove: 'remove members from', close: 'close', roles: 'change the roles of', update: 'update' }

/** Throws PermissionDeniedError (rule `channel.<action>`) unless `name` may do `action`. */
export function requireRole (roles: ChannelRoles | undefined, name: string, action: RoleAction, channel: string): void {
  const why = refusal(roles, name, action)
  if (why != null) throw new PermissionDeniedError(`${name} may not ${VERBS[action]} ${channel} (${RULES[action]}): ${why}`, RULES[action])
}

/** What a commit does, as a member reads it before applying it. */
export interface CommitSummary {
  /** The envelope type: GROUP_ADD, GROUP_REMOVE or GROUP_PROPOSAL. */
  type: string
  /** The MLS epoch it is built on. */
  epoch: number
  committer: string
  adds: string[]
  removes: string[]
  /** The roles it sets (a GroupContextExtensions proposal), if it has one. */
  newRoles?: ChannelRoles
  /** A GroupContextExtensions proposal without valid roles, or that changes other extensions. */
  badExtensions?: string
  /** Proposal types other than add, remove and group_context_extensions. */
  otherProposals: string[]
  metadata: Map<string, string>
}

function sameNames (meta: string | undefined, names: string[]): boolean {
  if (meta == null) return names.length === 0
  try {
    const j = JSON.parse(meta) as unknown
    if (!Array.isArray(j) || !j.every(x => typeof x === 'string')) return false
    return [...j].sort().join('\n') === [...names].sort().join('\n')
  } catch {
    return false
  }
}

/** Why a member must not apply the commit `c` under the current `roles`, or undefined if it may. */
export function commitRefusal (roles: ChannelRoles | undefined, c: CommitSummary): string | undefined {
  if (c.otherProposals.length > 0) return `it carries ${c.otherProposals.join(', ')} proposals, which channels do not use`
  if (c.badExtensions != null) return c.badExtensions
  const rolesChange = c.newRoles != null
  // The envelope type must say what the commit does: the sequencer judges by it.
  if (c.type === 'GROUP_ADD' && (c.adds.length === 0 || c.removes.length > 0 || rolesChange)) return 'a GroupAdd commit must add members and do nothing else'
  if (c.type === 'GROUP_REMOVE' && (c.removes.length === 0 || c.adds.length > 0 || rolesChange)) return 'a GroupRemove commit must remove members and do nothing else'
  if (c.type === 'GROUP_PROPOSAL' && (c.adds.length > 0 || c.removes.length > 0)) return 'a GroupProposal commit may only update keys or change roles'
  if (!sameNames(c.metadata.get(META_ADDS), c.adds)) return `its ${META_ADDS} metadata (${c.metadata.get(META_ADDS) ?? 'none'}) does not name the members it adds (${c.adds.join(', ') || 'none'})`
  if (!sameNames(c.metadata.get(META_REMOVES), c.removes)) return `its ${META_REMOVES} metadata (${c.metadata.get(META_REMOVES) ?? 'none'}) does not name the members it removes (${c.removes.join(', ') || 'none'})`
  const metaRoles = c.metadata.get(META_ROLES)
  if (rolesChange) {
    if (metaRoles == null || !rolesEqual(parseRoles(metaRoles), c.newRoles)) return `its ${META_ROLES} metadata does not carry the roles it sets`
  } else if (c.epoch === 0 && roles != null) {
    if (metaRoles == null || !rolesEqual(parseRoles(metaRoles), roles)) return `the channel's first commit must carry its roles as ${META_ROLES}`
  } else if (metaRoles != null) {
    return `it carries ${META_ROLES} metadata but changes no roles`
  }
  const action: RoleAction = rolesChange ? 'roles' : c.adds.length > 0 ? 'add' : c.removes.length > 0 ? 'remove' : 'update'
  const why = refusal(roles, c.committer, action)
  return why != null ? `${c.committer} has no right to it: ${why}` : undefined
}
