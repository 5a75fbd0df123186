/**
 * What went wrong when dialling a relay, as one typed error that names the problem and
 * the fix. libp2p 3 reports these cases with few distinct names (a refused TCP connect is
 * a plain `Error` with `code: 'ECONNREFUSED'`; everything that goes wrong before Noise
 * finishes is an `EncryptionFailedError` carrying the inner message), so the mapping
 * reads codes and messages too:
 *
 * - nothing listening: `UnavailableError: no relay listening at 127.0.0.1:7451 (connection refused); is the relay running?`
 * - the peer id in the address is not the key the relay proves (Noise): `AuthenticationError`
 * - something else on the port (plain TCP, HTTP): `ProtocolViolationError: ... is not a slim-mesh relay`
 * - a port that takes the connection and closes it, or never answers the handshake
 *   (a relay turning connections away looks the same): `UnavailableError`
 * - a libp2p node without the protocol: `ProtocolViolationError: ... does not speak /slim/session/1.0.0`
 */
import { AuthenticationError, TimeoutError, UnavailableError } from '../relay/errors.js'
import { ProtocolViolationError } from '../wire/errors.js'
import { relayLabel } from '../names/address.js'

export { relayLabel } from '../names/address.js'

/** The first error with a system error code in `err`, its causes and (for an AggregateError) its errors. */
function systemCode (err: unknown, depth = 0): string | undefined {
  if (err == null || typeof err !== 'object' || depth > 4) return undefined
  const e = err as { code?: unknown, cause?: unknown, errors?: unknown[], message?: unknown }
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code
  const fromMessage = typeof e.message === 'string' ? /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)\b/.exec(e.message)?.[1] : undefined
  if (fromMessage != null) return fromMessage
  for (const inner of e.errors ?? []) {
    const c = systemCode(inner, depth + 1)
    if (c != null) return c
  }
  return systemCode(e.cause, depth + 1)
}

/**
 * The typed error for a failed dial of `protocol` at `addr`. `timeoutMs` is the deadline
 * the dial ran under (for the message). An abort by the caller is passed on unchanged.
 */
export function dialError (err: unknown, addr: string, protocol: string, timeoutMs?: number): Error {
  const e = err instanceof Error ? err : new UnavailableError(String(err))
  const where = relayLabel(addr)
  const options = { cause: err }
  if (e.name === 'AbortError') return e
  switch (systemCode(e)) {
    case 'ECONNREFUSED': return new UnavailableError(`no relay listening at ${where} (connection refused); is the relay running?`, options)
    case 'ECONNRESET': return new UnavailableError(`${where} refused the connection (reset before it was secured): it is not a slim-mesh relay, or the relay is turning connections away`, options)
    case 'ENOTFOUND':
    case 'EAI_AGAIN': return new UnavailableError(`cannot resolve the host in ${where}; check the name, or give the relay's IP address`, options)
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT': return new UnavailableError(`no route to ${where} (${systemCode(e) ?? ''}); check the address and the network`, options)
  }
  const message = e.message
  if (e.name === 'EncryptionFailedError' || e.name === 'UnexpectedPeerError' || e.name === 'InvalidCryptoExchangeError') {
    // Noise proves the relay holds the key its address names; a mismatch is a lie about who it is.
    if (/does not match expected remote identity key|Invalid payload signature/.test(message)) {
      return new AuthenticationError(`the relay at ${where} could not prove the peer id in its address: ${message}`, options)
    }
    if (/abort|timeout|timed out/i.test(message)) {
      return new UnavailableError(`${where} is not a slim-mesh relay (the connection could not be secured: no answer to the libp2p handshake), or the relay is overloaded`, options)
    }
    if (/Unexpected EOF|Encryption failed|closed|reset/i.test(message)) {
      return new UnavailableError(`${where} is not a slim-mesh relay, or it refused the connection (it closed the connection before it could be secured: ${message})`, options)
    }
    return new ProtocolViolationError(`${where} is not a slim-mesh relay (the connection could not be secured: ${message})`, options)
  }
  if (e.name === 'UnexpectedEOFError' || e.name === 'ConnectionClosedError' || e.name === 'StreamResetError' || e.name === 'ConnectionDeniedError') {
    // Secured, then closed: the relay took the handshake and turned the connection away.
    return new UnavailableError(`the relay at ${where} refused the connection (closed it after the handshake: ${message}); it may be full or not accept this agent`, options)
  }
  if (e.name === 'UnsupportedProtocolError') {
    return new ProtocolViolationError(`${where} is a libp2p node but does not speak ${protocol}; is it a slim-mesh relay?`, options)
  }
  if (e.name === 'TimeoutError') {
    return new TimeoutError(`no answer from ${where}${timeoutMs != null ? ` within ${timeoutMs} ms` : ''}; is the relay running and reachable?`, options)
  }
  if (e.name === 'NoValidAddressesError' || e.name === 'DialDeniedError') {
    return new UnavailableError(`cannot dial ${where}: ${message}`, options)
  }
  return new UnavailableError(`could not reach the relay at ${where}: ${message}`, options)
}
