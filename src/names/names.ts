/**
 * Names, as DESIGN.md has them: `org/namespace/service` names a service or channel,
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

function split (name: unknown): string[] {
  if (typeof name !== 'string') {
    throw new InvalidNameError(`a name must be a string like "org/namespace/service", got ${typeof name}`)
  }
  const parts = name.split('/')
  parts.forEach((part, i) => { checkComponent(name, part, i) })
  return parts
}

/** Parses `org/namespace/service` or throws `InvalidNameError`. */
export function parseServiceName (name: unknown): ServiceName {
  const parts = split(name)
  if (parts.length !== 3) {
    throw new InvalidNameError(`name "${String(name)}" has ${parts.length} components; a service or channel name is org/namespace/service`)
  }
  return name as ServiceName
}

/** Parses `org/namespace/service/instance` or throws `InvalidNameError`. */
export function parseAgentName (name: unknown): AgentName {
  const parts = split(name)
  if (parts.length !== 4) {
    throw new InvalidNameError(`name "${String(name)}" has ${parts.length} components; an agent name is org/namespace/service/instance`)
  }
  return name as AgentName
}

/** Parses either form. */
export function parseName (name: unknown): Name {
  const parts = split(name)
  if (parts.length === 3) return name as ServiceName
  if (parts.length === 4) return name as AgentName
  throw new InvalidNameError(`name "${String(name)}" has ${parts.length} components; use org/namespace/service or org/namespace/service/instance`)
}

export function isAgentName (name: Name): name is AgentName {
  return name.split('/').length === 4
}

/** The service part of a name: itself for a service name. */
export function serviceOf (name: Name): ServiceName {
  const parts = name.split('/')
  return parts.slice(0, 3).join('/') as ServiceName
}

/** The instance part of an agent name. */
export function instanceOf (name: AgentName): string {
  return name.split('/')[3] as string
}

export function agentName (service: ServiceName, instance: string): AgentName {
  return parseAgentName(`${service}/${instance}`)
}
