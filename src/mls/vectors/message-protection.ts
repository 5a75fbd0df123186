import { defaultCapabilities, defaultKeyRetentionConfig, defaultPaddingConfig } from 'ts-mls'
import type { CiphersuiteImpl, GroupContext, PrivateMessage, PublicMessage, RatchetTree } from 'ts-mls'
import type { AuthenticatedContent } from 'ts-mls/authenticatedContent.js'
import { decodeCommit, encodeCommit } from 'ts-mls/commit.js'
import { createContentCommitSignature } from 'ts-mls/framedContent.js'
import { protect, protectApplicationData, protectProposal, unprotectPrivateMessage } from 'ts-mls/messageProtection.js'
import { protectProposalPublic, protectPublicMessage, unprotectPublicMessage } from 'ts-mls/messageProtectionPublic.js'
import { decodeProposal, encodeProposal } from 'ts-mls/proposal.js'
import { createSecretTree } from 'ts-mls/secretTree.js'
import { decodeExactly, decodeMlsMessageAs } from '../decode.js'
import { expectBytes, expectEqual, hex, num } from './check.js'
import type { VectorCase } from './check.js'

/**
 * message-protection.json: PublicMessage (RFC 9420 section 6.2) and PrivateMessage
 * (section 6.3) framing of a proposal, a commit and application data sent by leaf 1,
 * both opening the vector's messages and protecting-then-opening our own.
 */

const SENDER = 1
const EMPTY = new Uint8Array(0)

// unprotectPrivateMessage checks that the sender data names a non-blank leaf; the
// signature key itself comes from the vector, so the leaf's contents do not matter.
const treeWithLeaf1: RatchetTree = [undefined, undefined, {
  nodeType: 'leaf',
  leaf: {
    leafNodeSource: 'commit',
    hpkePublicKey: EMPTY,
    signaturePublicKey: EMPTY,
    capabilities: defaultCapabilities(),
    parentHash: EMPTY,
    extensions: [],
    signature: EMPTY,
    credential: { credentialType: 'basic', identity: EMPTY }
  }
}]

interface Inputs {
  cs: CiphersuiteImpl
  gc: GroupContext
  signPriv: Uint8Array
  signPub: Uint8Array
  encryptionSecret: Uint8Array
  senderDataSecret: Uint8Array
  membershipKey: Uint8Array
}

export async function checkMessageProtection (v: VectorCase, cs: CiphersuiteImpl): Promise<void> {
  const x: Inputs = {
    cs,
    gc: {
      version: 'mls10',
      cipherSuite: cs.name,
      groupId: hex(v, 'group_id'),
      epoch: BigInt(num(v, 'epoch')),
      treeHash: hex(v, 'tree_hash'),
      confirmedTranscriptHash: hex(v, 'confirmed_transcript_hash'),
      extensions: []
    },
    signPriv: hex(v, 'signature_priv'),
    signPub: hex(v, 'signature_pub'),
    encryptionSecret: hex(v, 'encryption_secret'),
    senderDataSecret: hex(v, 'sender_data_secret'),
    membershipKey: hex(v, 'membership_key')
  }
  const proposal = hex(v, 'proposal')
  const commit = hex(v, 'commit')
  const application = hex(v, 'application')

  // Proposal: public and private, theirs and ours.
  expectBytes('proposal_pub opens to proposal', await openPublic(x, publicOf(hex(v, 'proposal_pub'))), proposal)
  const p = decodeExactly(decodeProposal, proposal, 'a Proposal')
  const pubP = await protectProposalPublic(x.signPriv, x.membershipKey, x.gc, EMPTY, p, SENDER, cs)
  expectBytes('our public proposal opens to proposal', await openPublic(x, pubP.publicMessage), proposal)
  expectBytes('proposal_priv opens to proposal', await openPrivate(x, privateOf(hex(v, 'proposal_priv'))), proposal)
  const privP = await protectProposal(x.signPriv, x.senderDataSecret, p, EMPTY, x.gc, await tree(x), SENDER, defaultPaddingConfig, cs)
  expectBytes('our private proposal opens to proposal', await openPrivate(x, privP.privateMessage), proposal)

  // Commit: the same, with a confirmation tag that only needs the right length here.
  expectBytes('commit_pub opens to commit', await openPublic(x, publicOf(hex(v, 'commit_pub'))), commit)
  expectBytes('our public commit opens to commit', await openPublic(x, await protectCommitPublic(x, commit)), commit)
  expectBytes('commit_priv opens to commit', await openPrivate(x, privateOf(hex(v, 'commit_priv'))), commit)
  expectBytes('our private commit opens to commit', await openPrivate(x, await protectCommitPrivate(x, commit)), commit)

  // Application data: private only; RFC 9420 section 6.2 forbids it in a PublicMessage.
  expectBytes('application_priv opens to application', await openPrivate(x, privateOf(hex(v, 'application_priv'))), application)
  const privA = await protectApplicationData(x.signPriv, x.senderDataSecret, application, EMPTY, x.gc, await tree(x), SENDER, defaultPaddingConfig, cs)
  expectBytes('our private application message opens to application', await openPrivate(x, privA.privateMessage), application)
  await expectPublicApplicationRefused(x, application)
}

function publicOf (bytes: Uint8Array): PublicMessage {
  return decodeMlsMessageAs(bytes, 'mls_public_message').publicMessage
}

function privateOf (bytes: Uint8Array): PrivateMessage {
  return decodeMlsMessageAs(bytes, 'mls_private_message').privateMessage
}

async function tree (x: Inputs): Promise<Awaited<ReturnType<typeof createSecretTree>>> {
  return await createSecretTree(2, x.encryptionSecret, x.cs.kdf)
}

/** Verifies membership tag and signature, returns the encoded proposal or commit. */
async function openPublic (x: Inputs, m: PublicMessage): Promise<Uint8Array> {
  const content = await unprotectPublicMessage(x.membershipKey, x.gc, [], m, x.cs, x.signPub)
  const c = content.content
  return c.contentType === 'proposal' ? encodeProposal(c.proposal) : encodeCommit(c.commit)
}

/** Decrypts with a fresh secret tree, verifies the signature, returns the encoded content. */
async function openPrivate (x: Inputs, m: PrivateMessage): Promise<Uint8Array> {
  const r = await unprotectPrivateMessage(x.senderDataSecret, m, await tree(x), treeWithLeaf1, x.gc, defaultKeyRetentionConfig, x.cs, x.signPub)
  const c = r.content.content
  switch (c.contentType) {
    case 'application': return c.applicationData
    case 'proposal': return encodeProposal(c.proposal)
    case 'commit': return encodeCommit(c.commit)
  }
}

async function signedCommit (x: Inputs, commit: Uint8Array, wireformat: 'mls_public_message' | 'mls_private_message'): Promise<AuthenticatedContent & { content: { contentType: 'commit' } }> {
  const c = decodeExactly(decodeCommit, commit, 'a Commit')
  const { framedContent, signature } = await createContentCommitSignature(
    x.gc, wireformat, c, { senderType: 'member', leafIndex: SENDER }, EMPTY, x.signPriv, x.cs.signature)
  const confirmationTag = x.cs.rng.randomBytes(x.cs.kdf.size)
  return { wireformat, content: framedContent, auth: { contentType: 'commit', signature, confirmationTag } }
}

async function protectCommitPublic (x: Inputs, commit: Uint8Array): Promise<PublicMessage> {
  return await protectPublicMessage(x.membershipKey, x.gc, await signedCommit(x, commit, 'mls_public_message'), x.cs)
}

async function protectCommitPrivate (x: Inputs, commit: Uint8Array): Promise<PrivateMessage> {
  const a = await signedCommit(x, commit, 'mls_private_message')
  const content = { ...a.content, auth: { contentType: 'commit' as const, signature: a.auth.signature, confirmationTag: x.cs.rng.randomBytes(x.cs.kdf.size) } }
  const r = await protect(x.senderDataSecret, EMPTY, x.gc, await tree(x), content, SENDER, defaultPaddingConfig, x.cs)
  return r.privateMessage
}

async function expectPublicApplicationRefused (x: Inputs, application: Uint8Array): Promise<void> {
  const content: AuthenticatedContent = {
    wireformat: 'mls_public_message',
    content: {
      contentType: 'application',
      applicationData: application,
      groupId: x.gc.groupId,
      epoch: x.gc.epoch,
      sender: { senderType: 'member', leafIndex: SENDER },
      authenticatedData: EMPTY
    },
    auth: { contentType: 'application', signature: new Uint8Array(8) }
  }
  let refusal = 'none'
  try {
    await protectPublicMessage(x.membershipKey, x.gc, content, x.cs)
  } catch (err) {
    refusal = err instanceof Error ? err.name : String(err)
  }
  // ts-mls refuses with a UsageError; any other error would be a failure somewhere else.
  expectEqual('refusal to protect application data as a PublicMessage', refusal, 'UsageError')
}
