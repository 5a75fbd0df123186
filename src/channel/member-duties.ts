/**
 * Which member does what, from the roles and the member list (pure): whom a leaving
 * member asks to remove it, and who removes revoked members (one member, so there is one
 * commit and no fork).
 */
import type { ChannelRoles } from './roles.js'

/** For leave: the members who may remove `self` (the owner, then the admins, in roles order), to ask in turn. */
export function removersOf (roles: ChannelRoles | undefined, members: readonly string[], self: string): string[] {
  const others = members.filter(m => m !== self)
  if (roles == null) return others
  return [...new Set([roles.owner, ...roles.admins])].filter(m => others.includes(m))
}

/**
 * Whose duty it is to remove the `revoked` members: the owner, or, when the owner is no
 * longer a member (or is revoked itself), the first admin in the roles list that still
 * is; without roles, the first member not revoked.
 */
export function revocationDuty (roles: ChannelRoles | undefined, members: readonly string[], revoked: readonly string[]): string | undefined {
  return roles == null
    ? members.find(m => !revoked.includes(m))
    : [roles.owner, ...roles.admins].find(m => members.includes(m) && !revoked.includes(m))
}
