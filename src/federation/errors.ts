/** Errors of federation (peering between meshes). Callers branch on `err.name`, then on `rule`. */

/**
 * Which rule of a peering refused something:
 * - `malformed`: not an agreement of the expected shape;
 * - `same-mesh`, `not-a-party`, `authority`: the parties are wrong (a mesh peering itself,
 *   a mesh not in the agreement, an authority key that is not the mesh's);
 * - `borders`: fewer than two border relays on a side;
 * - `export-not-owned`, `owners-overlap`, `import-not-exported`, `rename`, `rename-not-owned`:
 *   what crosses is not what its owner may give or the other side takes;
 * - `limits`, `expired`: the limits are not positive; the agreement is past its expiry;
 * - `signature`, `already-signed`: a signature that does not verify or repeats a party;
 * - `transition`: the peering is not in a state that allows the step (suspend a revoked one).
 */
export type PeeringRule =
  | 'malformed' | 'same-mesh' | 'not-a-party' | 'authority' | 'borders'
  | 'export-not-owned' | 'owners-overlap' | 'import-not-exported' | 'rename' | 'rename-not-owned'
  | 'limits' | 'expired' | 'signature' | 'already-signed' | 'transition'

/** A peering agreement or step refused, naming the rule. */
export class PeeringError extends Error {
  readonly rule: PeeringRule
  constructor (rule: PeeringRule, message: string, options?: ErrorOptions) {
    super(`peering refused (${rule}): ${message}`, options)
    this.name = 'PeeringError'
    this.rule = rule
  }
}
