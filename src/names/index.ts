/**
 * Names of services, channels and agents.
 *
 * ```ts
 * const svc = parseServiceName('acme/research/summarizer')
 * const me = agentNameForKey('acme/research/alice', identity.publicKey)
 * // 'acme/research/alice/<26 base32 characters from the key>'
 * ```
 */
export type { ServiceName, AgentName, Name } from './names.js'
export { parseServiceName, parseAgentName, parseName, isAgentName, serviceOf, instanceOf, agentName, MAX_COMPONENT_LENGTH } from './names.js'
export { instanceIdFromPublicKey, agentNameForKey, nameMatchesKey } from './identity.js'
export { InvalidNameError, InvalidAddressError } from './errors.js'
export { toMultiaddr, peerIdOf } from './address.js'
