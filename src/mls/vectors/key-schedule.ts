import type { CiphersuiteImpl, GroupContext } from 'ts-mls'
import { encodeGroupContext } from 'ts-mls/groupContext.js'
import { initializeEpoch, mlsExporter } from 'ts-mls/keySchedule.js'
import { arr, expectBytes, hex, num, obj, str } from './check.js'
import type { VectorCase } from './check.js'

/**
 * key-schedule.json: GroupContext encoding and every secret of the key schedule (RFC 9420
 * section 8) over a run of epochs, the external key pair derived from external_secret
 * (section 8.3) and one MLS-Exporter output (section 8.5).
 */
export async function checkKeySchedule (v: VectorCase, cs: CiphersuiteImpl): Promise<void> {
  const groupId = hex(v, 'group_id')
  let initSecret = hex(v, 'initial_init_secret')
  for (const [i, epoch] of arr(v, 'epochs').entries()) {
    const at = `epoch ${i}`
    const gc: GroupContext = {
      version: 'mls10',
      cipherSuite: cs.name,
      groupId,
      epoch: BigInt(i),
      treeHash: hex(epoch, 'tree_hash'),
      confirmedTranscriptHash: hex(epoch, 'confirmed_transcript_hash'),
      extensions: []
    }
    expectBytes(`${at} group_context`, encodeGroupContext(gc), hex(epoch, 'group_context'))

    const s = await initializeEpoch(initSecret, hex(epoch, 'commit_secret'), gc, hex(epoch, 'psk_secret'), cs.kdf)
    const ks = s.keySchedule
    expectBytes(`${at} joiner_secret`, s.joinerSecret, hex(epoch, 'joiner_secret'))
    expectBytes(`${at} welcome_secret`, s.welcomeSecret, hex(epoch, 'welcome_secret'))
    expectBytes(`${at} init_secret`, ks.initSecret, hex(epoch, 'init_secret'))
    expectBytes(`${at} sender_data_secret`, ks.senderDataSecret, hex(epoch, 'sender_data_secret'))
    expectBytes(`${at} encryption_secret`, s.encryptionSecret, hex(epoch, 'encryption_secret'))
    expectBytes(`${at} exporter_secret`, ks.exporterSecret, hex(epoch, 'exporter_secret'))
    expectBytes(`${at} epoch_authenticator`, ks.epochAuthenticator, hex(epoch, 'epoch_authenticator'))
    expectBytes(`${at} external_secret`, ks.externalSecret, hex(epoch, 'external_secret'))
    expectBytes(`${at} confirmation_key`, ks.confirmationKey, hex(epoch, 'confirmation_key'))
    expectBytes(`${at} membership_key`, ks.membershipKey, hex(epoch, 'membership_key'))
    expectBytes(`${at} resumption_psk`, ks.resumptionPsk, hex(epoch, 'resumption_psk'))

    const { publicKey } = await cs.hpke.deriveKeyPair(ks.externalSecret)
    expectBytes(`${at} external_pub`, await cs.hpke.exportPublicKey(publicKey), hex(epoch, 'external_pub'))

    const ex = obj(epoch, 'exporter')
    expectBytes(`${at} exporter.secret`,
      await mlsExporter(ks.exporterSecret, str(ex, 'label'), hex(ex, 'context'), num(ex, 'length'), cs),
      hex(ex, 'secret'))

    initSecret = ks.initSecret
  }
}
