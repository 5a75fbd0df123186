import { decodeMlsMessage } from 'ts-mls'
import type { MLSMessage, MlsPrivateMessage, MlsPublicMessage, MlsWelcome, MlsKeyPackage } from 'ts-mls'
import type { Decoder } from 'ts-mls'
import { MalformedMlsMessageError } from './errors.js'

/**
 * Decoding that fails one way. ts-mls decoders return undefined on some malformed input
 * and throw plain TypeErrors on other input; RFC 9420 section 6 messages also must not
 * carry trailing bytes. All three become MalformedMlsMessageError here.
 */

/** Decodes exactly one value of `what` filling all of `bytes`. */
export function decodeExactly<T> (decoder: Decoder<T>, bytes: Uint8Array, what: string): T {
  let decoded: [T, number] | undefined
  try {
    decoded = decoder(bytes, 0)
  } catch (cause) {
    throw new MalformedMlsMessageError(`${bytes.byteLength} bytes do not decode as ${what}`, { cause })
  }
  if (decoded === undefined) {
    throw new MalformedMlsMessageError(`${bytes.byteLength} bytes do not decode as ${what}`)
  }
  const [value, used] = decoded
  if (used !== bytes.byteLength) {
    throw new MalformedMlsMessageError(`${what} ends at byte ${used} of ${bytes.byteLength}; trailing bytes are not allowed`)
  }
  return value
}

/** Decodes one MLSMessage (RFC 9420 section 6). */
export function decodeMlsMessageExactly (bytes: Uint8Array): MLSMessage {
  return decodeExactly(decodeMlsMessage, bytes, 'an MLSMessage')
}

type ByWireformat = {
  mls_private_message: MlsPrivateMessage
  mls_public_message: MlsPublicMessage
  mls_welcome: MlsWelcome
  mls_key_package: MlsKeyPackage
}

/** Decodes one MLSMessage and checks its wire format. */
export function decodeMlsMessageAs<W extends keyof ByWireformat> (bytes: Uint8Array, wireformat: W): MLSMessage & ByWireformat[W] {
  const m = decodeMlsMessageExactly(bytes)
  if (m.wireformat !== wireformat) {
    throw new MalformedMlsMessageError(`expected an MLSMessage of wire format ${wireformat}, got ${m.wireformat}`)
  }
  return m as MLSMessage & ByWireformat[W]
}

/** Decodes a private or public message framing a handshake or application message. */
export function decodeProtocolMessage (bytes: Uint8Array): MLSMessage & (MlsPrivateMessage | MlsPublicMessage) {
  const m = decodeMlsMessageExactly(bytes)
  if (m.wireformat !== 'mls_private_message' && m.wireformat !== 'mls_public_message') {
    throw new MalformedMlsMessageError(`expected a private or public message, got ${m.wireformat}`)
  }
  return m
}
