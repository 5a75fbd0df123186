import { describe, it, expect } from 'vitest'
import { encodeMlsMessage } from 'ts-mls'
import { decodeMlsMessageAs, decodeMlsMessageExactly, decodeProtocolMessage } from '../../src/mls/decode.js'
import { hex } from '../../src/mls/vectors/check.js'
import { loadCases } from './vectors-dir.js'

describe('decodeMlsMessageExactly', () => {
  const v = loadCases('message-protection.json')[0]
  const application = hex(v, 'application_priv')

  it('decodes a private message from the vectors and re-encodes it to the same bytes', () => {
    const m = decodeMlsMessageAs(application, 'mls_private_message')
    expect(encodeMlsMessage(m)).toEqual(application)
    expect(decodeProtocolMessage(application).wireformat).toBe('mls_private_message')
  })

  it('refuses garbage, truncation and trailing bytes as MalformedMlsMessageError', () => {
    expect(() => decodeMlsMessageExactly(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(expect.objectContaining({ name: 'MalformedMlsMessageError' }))
    expect(() => decodeMlsMessageExactly(application.subarray(0, application.byteLength - 1))).toThrow(expect.objectContaining({ name: 'MalformedMlsMessageError' }))
    const longer = new Uint8Array(application.byteLength + 1)
    longer.set(application)
    expect(() => decodeMlsMessageExactly(longer)).toThrow(/trailing bytes/)
  })

  it('refuses a message of another wire format than the one asked for', () => {
    expect(() => decodeMlsMessageAs(application, 'mls_welcome')).toThrow(/expected an MLSMessage of wire format mls_welcome, got mls_private_message/)
    expect(() => decodeProtocolMessage(hex(loadCases('passive-client-welcome.json')[0], 'welcome'))).toThrow(expect.objectContaining({ name: 'MalformedMlsMessageError' }))
  })
})
