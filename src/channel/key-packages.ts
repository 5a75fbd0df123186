/**
 * The key packages an agent handed out and has not yet joined by: their private parts
 * stay here (and, with a data directory, in the agent's store, so a Welcome that comes
 * after a restart still finds them) until a Welcome uses one (RFC 9420 section 10: a
 * key package is used once).
 */
import { fromString, toString } from 'uint8arrays'
import type { KeyPackage, PrivateKeyPackage, CiphersuiteName } from 'ts-mls'
import { decodeMlsMessageAs } from '../mls/decode.js'
import type { ChannelAgent } from './agent-port.js'
import type { LocalMember } from './group-config.js'
import { makeKeyPackage } from './mls-codec.js'
import { keyPackageKey } from './records.js'

export interface HeldKeyPackage { suite: CiphersuiteName, publicPackage: KeyPackage, privatePackage: PrivateKeyPackage }

const enc = new TextEncoder()
const dec = new TextDecoder()

export class KeyPackages {
  private readonly held = new Map<string, HeldKeyPackage>()

  constructor (private readonly agent: ChannelAgent, private readonly persist: boolean, private readonly member: () => Promise<LocalMember>) {}

  /** A fresh key package (an encoded MLSMessage) for `suite`, held here until used. */
  async make (suite: CiphersuiteName): Promise<Uint8Array> {
    const kp = await makeKeyPackage(await this.member(), suite)
    const ref = toString(kp.ref, 'base16')
    this.held.set(ref, { suite, publicPackage: kp.publicPackage, privatePackage: kp.privatePackage })
    if (this.persist) {
      await this.agent.storage.put(keyPackageKey(ref), enc.encode(JSON.stringify({
        suite,
        kp: toString(kp.bytes, 'base64'),
        init: toString(kp.privatePackage.initPrivateKey, 'base64'),
        hpke: toString(kp.privatePackage.hpkePrivateKey, 'base64')
      })))
    }
    return kp.bytes
  }

  /** The held key package with this ref (hex), if any. */
  async get (ref: string): Promise<HeldKeyPackage | undefined> {
    const mem = this.held.get(ref)
    if (mem != null) return mem
    if (!this.persist) return undefined
    const saved = await this.agent.storage.get(keyPackageKey(ref))
    if (saved == null) return undefined
    try {
      const j = JSON.parse(dec.decode(saved)) as { suite: CiphersuiteName, kp: string, init: string, hpke: string }
      const publicPackage = decodeMlsMessageAs(fromString(j.kp, 'base64'), 'mls_key_package').keyPackage
      const signKey = this.agent.identity.raw.slice(0, 32)
      return { suite: j.suite, publicPackage, privatePackage: { initPrivateKey: fromString(j.init, 'base64'), hpkePrivateKey: fromString(j.hpke, 'base64'), signaturePrivateKey: signKey } }
    } catch {
      // A saved record that does not decode is as good as none: the Welcome is not for us.
      return undefined
    }
  }

  /** Forgets a used key package. */
  async drop (ref: string): Promise<void> {
    this.held.delete(ref)
    // A used key package left in the store is never offered again (its ref is gone from every Welcome to come).
    if (this.persist) await this.agent.storage.del(keyPackageKey(ref)).catch(() => {})
  }
}
