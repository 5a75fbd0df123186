/**
 * What a commit does, as a member reads it before applying it: the committer, the
 * members it adds and removes, the roles it sets (or why its GroupContextExtensions
 * proposal is not a valid roles change) and any other proposals. MlsGroup.applyCommit
 * shows this summary to a CommitInspector (the member-side role check of ./roles.ts),
 * whose reason refuses the commit.
 */
import type { ClientState, Extension, Proposal } from 'ts-mls'
import { credentialName } from './credentials.js'
import { equalBytes } from './mls-codec.js'
import { decodeRoles, ROLES_EXTENSION } from './roles.js'
import type { CommitSummary } from './roles.js'

/** What a member reads of a commit before applying it; its answer (a reason) refuses it. */
export type CommitInspector = (c: Omit<CommitSummary, 'type' | 'metadata'>) => string | undefined

/** What a commit does, read from its proposals and the tree it is applied to. */
export function summarize (senderLeaf: number | undefined, proposals: Proposal[], tree: ClientState['ratchetTree'], oldExtensions: Extension[], epoch: number, leavesOf: (t: ClientState['ratchetTree']) => Array<{ name: string, leaf: number }>): Omit<CommitSummary, 'type' | 'metadata'> {
  const leaves = leavesOf(tree)
  const nameAt = (i: number | undefined): string => leaves.find(l => l.leaf === i)?.name ?? '?'
  const out: Omit<CommitSummary, 'type' | 'metadata'> = { epoch, committer: senderLeaf != null ? nameAt(senderLeaf) : '(not a member)', adds: [], removes: [], otherProposals: [] }
  for (const p of proposals) {
    switch (p.proposalType) {
      case 'add': out.adds.push(credentialName(p.add.keyPackage.leafNode.credential, p.add.keyPackage.leafNode.signaturePublicKey) ?? '?'); break
      case 'remove': out.removes.push(nameAt(p.remove.removed)); break
      case 'group_context_extensions': {
        const exts = p.groupContextExtensions.extensions
        const roles = exts.filter(e => e.extensionType === ROLES_EXTENSION)
        const others = exts.filter(e => e.extensionType !== ROLES_EXTENSION)
        const oldOthers = oldExtensions.filter(e => e.extensionType !== ROLES_EXTENSION)
        const decoded = roles.length === 1 ? decodeRoles(roles[0]?.extensionData ?? new Uint8Array(0)) : undefined
        if (decoded == null) out.badExtensions = 'its GroupContextExtensions proposal carries no valid roles'
        else if (others.length !== oldOthers.length || others.some((e, i) => e.extensionType !== oldOthers[i]?.extensionType || !equalBytes(e.extensionData, oldOthers[i]?.extensionData ?? new Uint8Array(0)))) out.badExtensions = 'its GroupContextExtensions proposal changes extensions other than the roles'
        else out.newRoles = decoded
        break
      }
      default: out.otherProposals.push(String(p.proposalType))
    }
  }
  return out
}
