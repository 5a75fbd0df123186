/** Follows a relay's actors live: `for await (const e of inspectRelay(addr)) ...`. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { createAgentLibp2p } from './libp2p-node.js'
import { INSPECT_PROTOCOL } from '../wire/constants.js'
import type { TransitionEvent } from './inspection-service.js'
import { AuthenticationError, UnavailableError } from '../relay/errors.js'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { agentTrust } from '../trust/agent-credentials.js'
import { readCredentials } from '../trust/credentials-file.js'
import type { AgentCredentials } from '../trust/credentials-file.js'
import { TrustConfigError } from '../trust/errors.js'
import { toMultiaddr } from '../names/address.js'
import { dialError } from './dial-error.js'

const dec = new TextDecoder()
const enc = new TextEncoder()

/**
 * `relay` is a multiaddr or `host:port` (InvalidAddressError otherwise). A relay with
 * trust on needs an admin credential (`credentials`: a file or loaded credentials);
 * without one, or with one that is not admin, it fails with `AuthenticationError`.
 */
export async function * inspectRelay (relay: string, options: { signal?: AbortSignal, credentials?: AgentCredentials | string } = {}): AsyncGenerator<TransitionEvent> {
  const addr = multiaddr(toMultiaddr(relay))
  let creds = options.credentials
  if (typeof creds === 'string') {
    const file = await readCredentials(creds)
    if (file.kind !== 'slim-mesh/agent' && file.kind !== 'slim-mesh/issuer') throw new TrustConfigError(`${creds} is a ${file.kind} file; inspection needs an admin agent credential`)
    creds = file
  }
  const trust = creds != null ? await agentTrust(creds, { name: creds.kind === 'slim-mesh/issuer' ? 'slim-mesh/cli/inspect' : undefined }) : undefined
  const node = await createAgentLibp2p(trust?.key ?? await generateKeyPair('Ed25519'))
  try {
    let stream
    try {
      stream = await node.dialProtocol(addr, INSPECT_PROTOCOL, { signal: options.signal })
    } catch (err) {
      if ((err as Error).name === 'UnsupportedProtocolError') {
        throw new UnavailableError(`relay ${relay} does not serve inspection; start it with --inspect`, { cause: err })
      }
      throw dialError(err, relay, INSPECT_PROTOCOL)
    }
    // The credential first (a relay in open mode reads nothing and ignores it).
    const jwt = await trust?.credential() ?? ''
    const bytes = enc.encode(jwt)
    stream.send(new Uint8ArrayList(varint.encode(bytes.byteLength), bytes))
    const decoder = new LengthPrefixedDecoder({ maxDataLength: 1024 * 1024 })
    const queue: TransitionEvent[] = []
    let wake: (() => void) | undefined
    let ended = false
    stream.addEventListener('message', (evt) => {
      for (const frame of decoder.decode(evt.data)) {
        for (const line of dec.decode(frame.subarray()).split('\n')) if (line !== '') queue.push(JSON.parse(line) as TransitionEvent)
      }
      wake?.()
    })
    stream.addEventListener('close', () => { ended = true; wake?.() })
    options.signal?.addEventListener('abort', () => { ended = true; wake?.() }, { once: true })
    while (true) {
      const e = queue.shift() as (TransitionEvent & { error?: string, check?: string }) | undefined
      if (e?.error != null) throw new AuthenticationError(`relay ${relay} refused inspection: ${e.error}`, { check: e.check })
      if (e != null) { yield e; continue }
      if (ended) return
      await new Promise<void>(resolve => { wake = resolve })
      wake = undefined
    }
  } finally {
    await node.stop()
  }
}
