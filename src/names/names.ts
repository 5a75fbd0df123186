/**
 * Names: `org/namespace/service` names a service or channel,
 * `org/namespace/service/instance` names one agent. Each component is 1 to 63 characters
 * of `a-z 0-9 . _ -`, starting with a letter or digit.
 *
 * The branded types are made only by the parsers below, so a `ServiceName` in a
 * signature has been validated.
 */
import { InvalidNameError } from './errors.js'

export type ServiceName = string & { readonly __brand: 'ServiceName' }
export type AgentName = string & { readonly __brand: 'AgentName' }
/** Either kind: what a message can be addressed to. */
export type Name = ServiceName | AgentName

export const MAX_COMPONENT_LENGTH = 63
const COMPONENT = /^[a-z0-9][a-z0-9._-]*$/
const ORDINALS = ['1 (org)', '2 (namespace)', '3 (service)', '4 (instance)']

function checkComponent (name: string, part: string, index: number): void {
  const which = `component ${ORDINALS[index] ?? String(index + 1)}`
  if (part.length === 0) {
    throw new InvalidNameError(`name "${name}" has an empty ${which}; each component is 1 to ${MAX_COMPONENT_LENGTH} characters of a-z 0-9 . _ -`)
  }
  if (part.length > MAX_COMPONENT_LENGTH) {
    throw new InvalidNameError(`name "${name}" has ${part.length} characters in ${which}; at most ${MAX_COMPONENT_LENGTH} are allowed`)
  }
  if (!COMPONENT.test(part)) {
    const bad = [...part].find(c => !/[a-z0-9._-]/.test(c))
    if (bad !== undefined) {
      const what = /[A-Z]/.test(bad) ? 'an upper-case letter' : `the character ${JSON.stringify(bad)}`
      throw new InvalidNameError(`name "${name}" has ${what} in ${which}; use a-z 0-9 . _ -`)
    }
    throw new InvalidNameError(`name "${name}" has ${which} starting with "${part[0] ?? ''}"; a component starts with a letter or digit`)
  }
}

/**
 * Names repeat on every message; remembering the last few thousand valid ones (bounded)
 * spares the per-component checks on the hot path.
 */
const valid = new Map<string, number>()
const VALID_CACHE = 8192

function split (name: unknown): string[] {
  if (typeof name !== 'string') {
    throw new InvalidNameError(`a name must be a string like "org/namespace/service", got ${typeof name}`)
  }
  const parts = name.split('/')
  parts.forEach((part, i) => { checkComponent(name, part, i) })
  return parts
}

/** The number of components of a valid name (3 or 4), from the cache when it can. */
function components (name: unknown): number {
  if (typeof name === 'string') {
    const n = valid.get(name)
    if (n != null) return n
  }
  const count = split(name).length
  if (count === 3 || count === 4) {
    if (valid.size >= VALID_CACHE) valid.delete(valid.keys().next().value as string)
    valid.set(name as string, count)
  }
  return count
}

/** Parses `org/namespace/service` or throws `InvalidNameError`. */
export function parseServiceName (name: unknown): ServiceName {
  const n = components(name)
  if (n !== 3) {
    throw new InvalidNameError(`name "${String(name)}" has ${n} components; a service or channel name is org/namespace/service`)
  }
  return name as ServiceName
}

/** Parses `org/namespace/service/instance` or throws `InvalidNameError`. */
export function parseAgentName (name: unknown): AgentName {
  const n = components(name)
  if (n !== 4) {
    throw new InvalidNameError(`name "${String(name)}" has ${n} components; an agent name is org/namespace/service/instance`)
  }
  return name as AgentName
}

/** Parses either form. */
export function parseName (name: unknown): Name {
  const n = components(name)
  if (n === 3) return name as ServiceName
  if (n === 4) return name as AgentName
  throw new InvalidNameError(`name "${String(name)}" has ${n} components; use org/namespace/service or org/namespace/service/instance`)
}

/** The position of the third '/', which only an agent name has; -1 otherwise. */
function instanceSlash (name: string): number {
  const a = name.indexOf('/')
  const b = name.indexOf('/', a + 1)
  return b < 0 ? -1 : name.indexOf('/', b + 1)
}

export function isAgentName (name: Name): name is AgentName {
  return instanceSlash(name) >= 0
}

/** The service part of a name: itself for a service name. */
export function serviceOf (name: Name): ServiceName {
  const i = instanceSlash(name)
  return (i < 0 ? name : name.slice(0, i)) as ServiceName
}

/** The instance part of an agent name. */
export function instanceOf (name: AgentName): string {
  return name.slice(instanceSlash(name) + 1)
}

export function agentName (service: ServiceName, instance: string): AgentName {
  return parseAgentName(`${service}/${instance}`)
}
