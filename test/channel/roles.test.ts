import { describe, expect, it } from 'vitest'
import { commitRefusal, parseRoles, requireRole, rolesJson } from '../../src/channel/roles.js'
import type { CommitSummary } from '../../src/channel/roles.js'

const roles = { owner: 'o', admins: ['ad'] }
const base = (c: Partial<CommitSummary>): CommitSummary => ({ type: 'GROUP_PROPOSAL', epoch: 3, committer: 'm', adds: [], removes: [], otherProposals: [], metadata: new Map(), ...c })
const meta = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o))

describe('channel roles: the member-side commit check', () => {
  it('any member updates; only the owner or an admin adds and removes, with metadata naming exactly whom', () => {
    expect(commitRefusal(roles, base({}))).toBeUndefined()
    expect(commitRefusal(roles, base({ type: 'GROUP_REMOVE', removes: ['x'], metadata: meta({ 'slim.removes': '["x"]' }) }))).toMatch(/no right/)
    expect(commitRefusal(roles, base({ type: 'GROUP_REMOVE', committer: 'ad', removes: ['x'], metadata: meta({ 'slim.removes': '["x"]' }) }))).toBeUndefined()
    expect(commitRefusal(roles, base({ type: 'GROUP_REMOVE', committer: 'ad', removes: ['x'], metadata: meta({ 'slim.removes': '["y"]' }) }))).toMatch(/slim.removes/)
    expect(commitRefusal(roles, base({ type: 'GROUP_REMOVE', committer: 'ad', removes: ['x'] }))).toMatch(/slim.removes/)
    expect(commitRefusal(roles, base({ type: 'GROUP_ADD', committer: 'o', adds: ['j'], metadata: meta({ 'slim.adds': '["j"]' }) }))).toBeUndefined()
    expect(commitRefusal(roles, base({ type: 'GROUP_ADD', adds: ['j'], metadata: meta({ 'slim.adds': '["j"]' }) }))).toMatch(/no right/)
  })

  it('the envelope type must say what the commit does (the sequencer judges by it)', () => {
    // A member hides a removal in a GroupProposal (which any member may send).
    expect(commitRefusal(roles, base({ removes: ['x'], metadata: meta({ 'slim.removes': '["x"]' }) }))).toMatch(/GroupProposal/)
    expect(commitRefusal(roles, base({ type: 'GROUP_ADD', committer: 'o' }))).toMatch(/GroupAdd/)
    expect(commitRefusal(roles, base({ otherProposals: ['psk'] }))).toMatch(/psk/)
  })

  it('only the owner changes roles, and slim.roles must carry the roles set; the first commit carries the roles', () => {
    const next = { owner: 'o', admins: ['ad', 'm'] }
    expect(commitRefusal(roles, base({ committer: 'o', newRoles: next, metadata: meta({ 'slim.roles': rolesJson(next) }) }))).toBeUndefined()
    expect(commitRefusal(roles, base({ committer: 'ad', newRoles: next, metadata: meta({ 'slim.roles': rolesJson(next) }) }))).toMatch(/only the owner/)
    expect(commitRefusal(roles, base({ committer: 'o', newRoles: next, metadata: meta({ 'slim.roles': rolesJson(roles) }) }))).toMatch(/slim.roles/)
    expect(commitRefusal(roles, base({ metadata: meta({ 'slim.roles': rolesJson(roles) }) }))).toMatch(/changes no roles/)
    expect(commitRefusal(roles, base({ epoch: 0 }))).toMatch(/first commit/)
    expect(commitRefusal(roles, base({ epoch: 0, metadata: meta({ 'slim.roles': rolesJson(roles) }) }))).toBeUndefined()
  })

  it('the local check throws PermissionDeniedError naming the rule; roles JSON is {"owner","admins"}', () => {
    expect(() => { requireRole(roles, 'm', 'remove', 'acme/x/ch') }).toThrow(expect.objectContaining({ name: 'PermissionDeniedError', rule: 'channel.remove' }))
    expect(() => { requireRole(roles, 'ad', 'roles', 'acme/x/ch') }).toThrow(expect.objectContaining({ name: 'PermissionDeniedError', rule: 'channel.roles' }))
    expect(() => { requireRole(roles, 'ad', 'close', 'acme/x/ch') }).not.toThrow()
    expect(rolesJson(roles)).toBe('{"owner":"o","admins":["ad"]}')
    expect(parseRoles('{"owner":"o"}')).toBeUndefined()
  })
})
