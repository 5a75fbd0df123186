/**
 * Name patterns, as grants and issuer prefixes write them: slash-separated components
 * where `*` matches one component and a final `**` matches zero or more (like NATS's
 * `*` and `>`). `acme/**` is every name of the organisation acme, `acme/*\/inbox` the
 * inbox service of each of its namespaces, `**` everything.
 */
import { InvalidPatternError } from './errors.js'

export type NameMatcher = (name: string) => boolean

const COMPONENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** Checks a pattern; returns it, or throws `InvalidPatternError` saying what is wrong. */
export function parsePattern (pattern: unknown): string {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > 512) throw new InvalidPatternError(`name pattern ${JSON.stringify(pattern)} must be a non-empty string of at most 512 characters`)
  const parts = pattern.split('/')
  parts.forEach((p, i) => {
    if (p === '**') {
      if (i !== parts.length - 1) throw new InvalidPatternError(`name pattern "${pattern}": ** may only be the last component`)
      return
    }
    if (p === '*') return
    if (!COMPONENT.test(p)) throw new InvalidPatternError(`name pattern "${pattern}": component "${p}" is neither a name component nor * or **`)
  })
  if (parts.length > 4 && parts[parts.length - 1] !== '**') throw new InvalidPatternError(`name pattern "${pattern}" has ${parts.length} components; names have at most 4`)
  return pattern
}

/** Whether `name` matches `pattern` (both already valid). */
export function matchName (pattern: string, name: string): boolean {
  if (pattern === '**') return true
  const p = pattern.split('/')
  const n = name.split('/')
  for (let i = 0; i < p.length; i++) {
    const part = p[i]
    if (part === '**') return true
    if (i >= n.length) return false
    if (part !== '*' && part !== n[i]) return false
  }
  return p.length === n.length
}

/** A matcher for any of `patterns`. */
export function matcher (patterns: readonly string[]): NameMatcher {
  if (patterns.length === 0) return () => false
  if (patterns.includes('**')) return () => true
  return (name) => patterns.some(p => matchName(p, name))
}

/**
 * Whether every name `inner` matches is also matched by `outer`: an issuer delegated
 * `outer` may grant `inner`. Component-wise: `*` in inner needs `*` or `**` in outer.
 */
export function patternWithin (inner: string, outer: string): boolean {
  if (outer === '**') return true
  const i = inner.split('/')
  const o = outer.split('/')
  for (let k = 0; k < o.length; k++) {
    const op = o[k]
    if (op === '**') return true
    const ip = i[k]
    if (ip == null || ip === '**') return false
    if (op === '*') continue
    if (ip === '*' || ip !== op) return false
  }
  return i.length === o.length
}
