/**
 * What an agent credential lets its holder do, as name patterns (./patterns.ts):
 * publish per delivery mode, subscribe (receive a name's multicast), serve (be one of a
 * name's anycast and unicast instances) and create channels. Outside them, everything is
 * refused (the relay adds what every agent may always do: receive its own unicast and
 * answer the requests it was sent).
 */
import { z } from 'zod'
import { matcher, parsePattern, patternWithin } from './patterns.js'
import type { NameMatcher } from './patterns.js'
import { CredentialError } from './errors.js'

export type GrantMode = 'anycast' | 'multicast' | 'unicast'
export const GRANT_MODES: readonly GrantMode[] = ['anycast', 'multicast', 'unicast']

/** Grants as a credential carries them (its `grants` claim). */
export interface Grants {
  publish?: Partial<Record<GrantMode, string[]>>
  subscribe?: string[]
  serve?: string[]
  channels?: string[]
}

const patterns = z.array(z.string().transform((p, ctx) => {
  try { return parsePattern(p) } catch (err) { ctx.addIssue({ code: 'custom', message: (err as Error).message }); return z.NEVER }
})).max(256)

export const grantsSchema = z.object({
  publish: z.object({ anycast: patterns.optional(), multicast: patterns.optional(), unicast: patterns.optional() }).strict().optional(),
  subscribe: patterns.optional(),
  serve: patterns.optional(),
  channels: patterns.optional()
}).strict()

/** Every grant there is, within `prefix` (`**`: everything). */
export function allGrants (prefix = '**'): Grants {
  return { publish: { anycast: [prefix], multicast: [prefix], unicast: [prefix] }, subscribe: [prefix], serve: [prefix], channels: [prefix] }
}

/** Checks a `grants` claim; throws `CredentialError('malformed')` saying what is wrong. */
export function parseGrants (value: unknown): Grants {
  const r = grantsSchema.safeParse(value ?? {})
  if (!r.success) throw new CredentialError('malformed', `its grants are not valid: ${r.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return r.data
}

/** Every pattern of `grants`, with where it is, for checking them against an issuer's prefix. */
export function grantPatterns (grants: Grants): Array<{ where: string, pattern: string }> {
  const out: Array<{ where: string, pattern: string }> = []
  for (const mode of GRANT_MODES) for (const p of grants.publish?.[mode] ?? []) out.push({ where: `publish.${mode}`, pattern: p })
  for (const key of ['subscribe', 'serve', 'channels'] as const) for (const p of grants[key] ?? []) out.push({ where: key, pattern: p })
  return out
}

/** Throws `CredentialError('outside-prefix')` unless every grant lies within `prefix`. */
export function checkGrantsWithin (grants: Grants, prefix: string): void {
  for (const { where, pattern } of grantPatterns(grants)) {
    if (!patternWithin(pattern, prefix)) throw new CredentialError('outside-prefix', `it grants ${where} "${pattern}", outside its issuer's prefix "${prefix}"`)
  }
}

/**
 * Grants compiled for checks on the session's hot path: one matcher per grant, and the
 * verdicts for names already asked about kept (a session asks about few names, often).
 */
export class GrantSet {
  readonly grants: Grants
  private readonly publishers: Record<GrantMode, NameMatcher>
  private readonly subscriber: NameMatcher
  private readonly server: NameMatcher
  private readonly creator: NameMatcher
  private readonly seen = new Map<string, boolean>()

  constructor (grants: Grants) {
    this.grants = grants
    this.publishers = {
      anycast: matcher(grants.publish?.anycast ?? []),
      multicast: matcher(grants.publish?.multicast ?? []),
      unicast: matcher(grants.publish?.unicast ?? [])
    }
    this.subscriber = matcher(grants.subscribe ?? [])
    this.server = matcher(grants.serve ?? [])
    this.creator = matcher(grants.channels ?? [])
  }

  mayPublish (mode: GrantMode, name: string): boolean {
    const key = mode[0] + name
    let v = this.seen.get(key)
    if (v == null) {
      v = this.publishers[mode](name)
      if (this.seen.size > 4096) this.seen.clear()
      this.seen.set(key, v)
    }
    return v
  }

  maySubscribe (name: string): boolean { return this.subscriber(name) }
  mayServe (name: string): boolean { return this.server(name) }
  mayCreateChannel (name: string): boolean { return this.creator(name) }
}
