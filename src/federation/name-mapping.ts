/**
 * How names cross a peering: an imported prefix keeps its names, or is renamed into a
 * local prefix (`beta/api/**` imported as `acme/beta/**`: `beta/api/search` is
 * `acme/beta/search` in the importing mesh, and back again on the way out). A rename
 * swaps the leading fixed components, so both prefixes end in `/**` and have as many
 * fixed components: a name keeps its shape (org/namespace/service[/instance]).
 */
import { matchName } from '../trust/patterns.js'
import { PeeringError } from './errors.js'
import type { PeeringImport } from './agreement.js'

function fixedParts (prefix: string): string[] | undefined {
  const parts = prefix.split('/')
  if (parts[parts.length - 1] !== '**') return undefined
  const fixed = parts.slice(0, -1)
  return fixed.length > 0 && !fixed.includes('*') ? fixed : undefined
}

/** Checks that `from` can be renamed to `to` (PeeringError('rename') if not). */
export function checkRename (from: string, to: string): void {
  const a = fixedParts(from)
  const b = fixedParts(to)
  if (a == null || b == null || a.length !== b.length) {
    throw new PeeringError('rename', `${from} cannot be renamed into ${to}: both must be fixed components followed by /** (as many of them), e.g. beta/api/** into acme/beta/**`)
  }
}

/** The name in the importing mesh of `name` of the exporting one (undefined: not imported). */
export function importedName (imports: readonly PeeringImport[], name: string): string | undefined {
  for (const imp of imports) {
    if (!matchName(imp.prefix, name)) continue
    if (imp.as == null) return name
    const from = fixedParts(imp.prefix) as string[]
    const to = fixedParts(imp.as) as string[]
    return [...to, ...name.split('/').slice(from.length)].join('/')
  }
  return undefined
}

/** The name in the exporting mesh of `local`, an imported name of the importing one (undefined: not an imported name). */
export function exportedName (imports: readonly PeeringImport[], local: string): string | undefined {
  for (const imp of imports) {
    if (imp.as == null) {
      if (matchName(imp.prefix, local)) return local
      continue
    }
    if (!matchName(imp.as, local)) continue
    const from = fixedParts(imp.prefix) as string[]
    const to = fixedParts(imp.as) as string[]
    return [...from, ...local.split('/').slice(to.length)].join('/')
  }
  return undefined
}
