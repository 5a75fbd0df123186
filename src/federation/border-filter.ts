/**
 * What a border relay lets cross a peering, by the agreement in force (pure; issue 13).
 *
 * Out (to the peer mesh): the routes of names this mesh exports, nothing else. Internal
 * routes, unexported names, names imported from a third mesh (no transit unless exported
 * as this mesh's own) and sequencer claims stay home. A crossing route carries its path:
 * the meshes it crossed, this one appended.
 *
 * In (from the peer mesh): a route is taken only if its name lies within what the peer
 * owns and exports, and within what this mesh imports; it then gets its local name (the
 * rename of the import). A route whose path already holds this mesh is a loop and is
 * dropped. Loop-freedom comes from the path, not from timing. Each refusal names its
 * rule, so the border counts it and raises an alert for a peer announcing what it was
 * not granted.
 */
import { matchName } from '../trust/patterns.js'
import { sidesOf } from './agreement.js'
import type { PeeringAgreement, PeeringExport } from './agreement.js'
import { exportedName, importedName } from './name-mapping.js'

/** Why an incoming route was refused. */
export type RouteRefusal =
  /** The name is outside what the peer mesh owns: it announces a prefix it was not granted. */
  | 'not-owned'
  /** The peer owns it but does not export it under the agreement. */
  | 'not-exported'
  /** Exported, but this mesh does not import it. */
  | 'not-imported'
  /** This mesh is already on the route's path. */
  | 'loop'
  /** The route's path is malformed: the peer is not its last hop. */
  | 'bad-path'

export type RouteVerdict =
  | { accepted: true, localName: string, path: string[], kind: PeeringExport['kind'] }
  | { accepted: false, refusal: RouteRefusal, reason: string }

/** The export of `name` by `mesh` under the agreement, if any. */
function exportOf (a: PeeringAgreement, mesh: string, name: string): PeeringExport | undefined {
  const { local } = sidesOf(a, mesh)
  return local.exports.find(e => matchName(e.prefix, name))
}

/**
 * The route of local `name` as it goes to the peer: its name there is unchanged (the
 * importer renames), its path is `path` (the meshes it crossed so far, usually none)
 * with this mesh appended. Undefined: it does not cross.
 */
export function outgoingRoute (a: PeeringAgreement, self: string, name: string, path: readonly string[] = []): { name: string, path: string[] } | undefined {
  const { remote } = sidesOf(a, self)
  if (path.includes(self) || path.includes(remote.mesh)) return undefined
  if (exportOf(a, self, name) == null) return undefined
  // Only names the peer imports go (it would refuse the others).
  if (importedName(remote.imports, name) == null) return undefined
  return { name, path: [...path, self] }
}

/** Checks a route announced by the peer mesh for `name` (its name there) with `path`. */
export function incomingRoute (a: PeeringAgreement, self: string, name: string, path: readonly string[]): RouteVerdict {
  const { local, remote } = sidesOf(a, self)
  if (path.includes(self)) return { accepted: false, refusal: 'loop', reason: `the route of ${name} has crossed mesh ${self} already (path ${path.join(' > ')})` }
  if (path[path.length - 1] !== remote.mesh) return { accepted: false, refusal: 'bad-path', reason: `the route of ${name} from mesh ${remote.mesh} does not end its path with it (path ${path.join(' > ') || 'empty'})` }
  if (!remote.owns.some(o => matchName(o, name))) return { accepted: false, refusal: 'not-owned', reason: `mesh ${remote.mesh} announced ${name}, outside what it owns (${remote.owns.join(', ')})` }
  const exp = exportOf(a, remote.mesh, name)
  if (exp == null) return { accepted: false, refusal: 'not-exported', reason: `mesh ${remote.mesh} announced ${name}, which peering ${a.id} does not export` }
  const localName = importedName(local.imports, name)
  if (localName == null) return { accepted: false, refusal: 'not-imported', reason: `mesh ${self} does not import ${name} under peering ${a.id}` }
  return { accepted: true, localName, path: [...path], kind: exp.kind }
}

/**
 * Where traffic to local `name` goes across the peering: the peer's name for it, if it is
 * one this mesh imports (renamed back), else undefined (not the peering's to carry).
 */
export function remoteNameOf (a: PeeringAgreement, self: string, name: string): string | undefined {
  const { local } = sidesOf(a, self)
  const remoteName = exportedName(local.imports, name)
  if (remoteName == null) return undefined
  return exportOf(a, sidesOf(a, self).remote.mesh, remoteName) != null ? remoteName : undefined
}
