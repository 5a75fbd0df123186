/**
 * One channel's MLS group state and what can be done with it, without I/O: seal and
 * open application messages, build commits (add, remove, self-update), apply the
 * commits the sequencer ordered, join from a Welcome, save and restore.
 *
 * Everything that can fail on input from the network fails with a typed error from
 * ./errors.ts (ts-mls throws its own MlsError subclasses and sometimes plain TypeErrors;
 * none of those escape). The key retention window (forward secrecy) is enforced here,
 * not left to ts-mls: see KeyRetention.
 */
import {
  createApplicationMessage, createCommit, createGroup, decodeGroupState, defaultCapabilities, defaultKeyPackageEqualityConfig,
  defaultLifetime, defaultLifetimeConfig, defaultPaddingConfig, encodeGroupState, encodeMlsMessage, generateKeyPackageWithKey,
  joinGroup, makePskIndex, processPrivateMessage, zeroOutUint8Array
} from 'ts-mls'
import type { CiphersuiteImpl, CiphersuiteName, ClientConfig, ClientState, KeyPackage, PrivateKeyPackage, Proposal, Welcome } from 'ts-mls'
import { unprotectPrivateMessage } from 'ts-mls/messageProtection.js'
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js'
import type { PrivateKey } from '@libp2p/interface'
import { decodeExactly, decodeMlsMessageAs } from '../mls/decode.js'
import { checkKeyPackageCredential, credentialFor, credentialName, NameKeyAuthenticationService, signatureKeyPair } from './credentials.js'
import {
  AlreadyMemberError, ChannelClosedError, CommitFailedError, CorruptChannelStateError, CredentialMismatchError,
  InvalidChannelMessageError, MemberNotFoundError, MessageRejectedError, UnsupportedChannelSuiteError
} from './errors.js'
import { suiteImpl } from './suites.js'

/**
 * How long keys of the past are kept: the forward-secrecy trade-off (RFC 9420 section
 * 14, "the application can choose how long to keep old key material").
 *
 * - `epochs`: old epochs whose receiving keys are kept. A message sealed just before a
 *   commit is ordered after it by the sequencer and needs the previous epoch's keys, so
 *   the default is 1: exactly that race is tolerated, nothing older. 0 drops old keys
 *   at once (strict forward secrecy; such a message is then rejected).
 * - `generations`: skipped message keys kept per sender within an epoch (default 10).
 * - `maxForwardSteps`: the furthest a sender's ratchet is moved forward for one message
 *   (default 200), which bounds the work a forged generation can cause.
 */
export interface KeyRetention {
  epochs: number
  generations: number
  maxForwardSteps: number
}

export const DEFAULT_KEY_RETENTION: KeyRetention = { epochs: 1, generations: 10, maxForwardSteps: 200 }

export interface Opened {
  data: Uint8Array
  /** The sender's agent name, from its MLS credential (not from the relay). */
  sender: string
  epoch: number
}

export type CommitKind = 'add' | 'remove' | 'update'

/** A commit built on the current epoch, not yet applied: applied when the sequencer orders it. */
export interface PendingCommit {
  kind: CommitKind
  /** The epoch it was built on. */
  epoch: number
  /** The encoded MLSMessage (a PrivateMessage carrying the commit). */
  bytes: Uint8Array
  /** For adds: the encoded Welcome and the joiner's name. */
  welcome?: Uint8Array
  joiner?: string
  /** For removes: who is removed. */
  removed?: string
  newState: ClientState
  consumed: Uint8Array[]
}

export interface CommitApplied {
  epoch: number
  added: string[]
  removed: string[]
  /** This member was removed by the commit. */
  selfRemoved: boolean
}

export interface LocalMember {
  name: string
  identity: PrivateKey
}

const enc = new TextEncoder()

function clientConfig (auth: NameKeyAuthenticationService, retention: KeyRetention): ClientConfig {
  return {
    keyRetentionConfig: {
      // ts-mls 1.6.4 keeps every epoch when asked for 0; the window is trimmed below instead.
      retainKeysForEpochs: Math.max(1, retention.epochs),
      retainKeysForGenerations: retention.generations,
      maximumForwardRatchetSteps: retention.maxForwardSteps
    },
    lifetimeConfig: defaultLifetimeConfig,
    keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
    paddingConfig: defaultPaddingConfig,
    authService: auth
  }
}

function checkRetention (r: KeyRetention): KeyRetention {
  for (const [k, v] of Object.entries(r)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`key retention ${k} must be a whole number >= 0, got ${String(v)}`)
  }
  return r
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

function describe (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

/** Turns whatever ts-mls threw into one of our errors, preferring the credential check's reason. */
function mlsFailure (err: unknown, auth: NameKeyAuthenticationService, what: string, Kind: new (m: string, o?: ErrorOptions) => Error = MessageRejectedError): Error {
  const refusal = auth.lastRefusal
  auth.lastRefusal = undefined
  if (refusal != null) return new CredentialMismatchError(`${what}: ${refusal.message}`, { cause: err })
  if (err instanceof Error && ['CredentialMismatchError', 'InvalidChannelMessageError', 'MessageRejectedError'].includes(err.name)) return err
  return new Kind(`${what}: ${describe(err)}`, { cause: err })
}

/** A fresh key package for `member` on `suite`, and its private part. */
export async function makeKeyPackage (member: LocalMember, suite: CiphersuiteName): Promise<{ bytes: Uint8Array, publicPackage: KeyPackage, privatePackage: PrivateKeyPackage, ref: Uint8Array }> {
  const cs = await suiteImpl(suite)
  const kp = await generateKeyPackageWithKey(credentialFor(member.name), defaultCapabilities(), defaultLifetime, [], signatureKeyPair(member.identity), cs)
  const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp.publicPackage })
  return { bytes, ...kp, ref: await makeKeyPackageRef(kp.publicPackage, cs.hash) }
}

/** Decodes an encoded key package (an MLSMessage of wire format mls_key_package) and checks its credential. */
export function decodeKeyPackage (bytes: Uint8Array): { keyPackage: KeyPackage, name: string } {
  let keyPackage: KeyPackage
  try {
    keyPackage = decodeMlsMessageAs(bytes, 'mls_key_package').keyPackage
  } catch (cause) {
    throw new InvalidChannelMessageError(`not a key package: ${describe(cause)}`, { cause })
  }
  return { keyPackage, name: checkKeyPackageCredential(keyPackage) }
}

/** Decodes an encoded Welcome (an MLSMessage of wire format mls_welcome). */
export function decodeWelcome (bytes: Uint8Array): Welcome {
  try {
    return decodeMlsMessageAs(bytes, 'mls_welcome').welcome
  } catch (cause) {
    throw new InvalidChannelMessageError(`not a Welcome: ${describe(cause)}`, { cause })
  }
}

/** The KeyPackageRefs a Welcome is addressed to (RFC 9420 section 12.4.3.1). */
export function welcomeRecipients (w: Welcome): Uint8Array[] {
  return w.secrets.map(s => s.newMember)
}

export { makeKeyPackageRef }

export class MlsGroup {
  readonly suite: CiphersuiteName
  readonly self: string
  readonly retention: KeyRetention
  private state: ClientState
  private readonly cs: CiphersuiteImpl
  private readonly auth: NameKeyAuthenticationService

  private constructor (state: ClientState, cs: CiphersuiteImpl, suite: CiphersuiteName, self: string, auth: NameKeyAuthenticationService, retention: KeyRetention) {
    this.state = state
    this.cs = cs
    this.suite = suite
    this.self = self
    this.auth = auth
    this.retention = retention
  }

  /** A new group with `member` as its only member, epoch 0 (RFC 9420 section 11). */
  static async create (groupId: string, member: LocalMember, suite: CiphersuiteName, retention: KeyRetention = DEFAULT_KEY_RETENTION): Promise<MlsGroup> {
    const cs = await suiteImpl(suite)
    const auth = new NameKeyAuthenticationService()
    const kp = await makeKeyPackage(member, suite)
    const state = await createGroup(enc.encode(groupId), kp.publicPackage, kp.privatePackage, [], cs, clientConfig(auth, checkRetention(retention)))
    return new MlsGroup(state, cs, suite, member.name, auth, retention)
  }

  /** Joins from a Welcome addressed to `keyPackage` (the tree comes in the Welcome's ratchet_tree extension). */
  static async join (welcome: Welcome, keyPackage: KeyPackage, privatePackage: PrivateKeyPackage, self: string, retention: KeyRetention = DEFAULT_KEY_RETENTION): Promise<MlsGroup> {
    const suite = keyPackage.cipherSuite
    if (welcome.cipherSuite !== suite) throw new UnsupportedChannelSuiteError(`Welcome is for ${welcome.cipherSuite}, the key package for ${suite}`)
    const cs = await suiteImpl(suite)
    const auth = new NameKeyAuthenticationService()
    let state: ClientState
    try {
      state = await joinGroup(welcome, keyPackage, privatePackage, makePskIndex(undefined, {}), cs, undefined, undefined, clientConfig(auth, checkRetention(retention)))
    } catch (err) {
      throw mlsFailure(err, auth, 'cannot join from this Welcome', InvalidChannelMessageError)
    }
    const group = new MlsGroup(state, cs, suite, self, auth, retention)
    // Every credential in the tree was checked by the authentication service during the join.
    return group
  }

  /** Restores a group saved with `encode()`. */
  static async decode (bytes: Uint8Array, suite: CiphersuiteName, self: string, retention: KeyRetention = DEFAULT_KEY_RETENTION): Promise<MlsGroup> {
    const cs = await suiteImpl(suite)
    const auth = new NameKeyAuthenticationService()
    let gs
    try {
      // A copy: the decoded secrets are views into it, and used-up secrets are zeroed in place.
      gs = decodeExactly(decodeGroupState, bytes.slice(), 'a saved group state')
    } catch (cause) {
      throw new CorruptChannelStateError(`saved state of a ${suite} channel does not decode`, { cause })
    }
    return new MlsGroup({ ...gs, clientConfig: clientConfig(auth, checkRetention(retention)) }, cs, suite, self, auth, retention)
  }

  encode (): Uint8Array { return encodeGroupState(this.state) }

  get epoch (): number { return Number(this.state.groupContext.epoch) }
  get groupId (): string { return new TextDecoder().decode(this.state.groupContext.groupId) }
  /** RFC 9420 section 8.7: equal at every member of the same epoch, the check that nobody forked. */
  get epochAuthenticator (): Uint8Array { return this.state.keySchedule.epochAuthenticator.slice() }
  get active (): boolean { return this.state.groupActiveState.kind === 'active' }
  /** Epochs whose receiving keys are still held (the retention window). */
  get retainedEpochs (): number[] { return [...this.state.historicalReceiverData.keys()].map(Number).sort((a, b) => a - b) }

  /** The agent names in the tree, in leaf order. */
  get members (): string[] {
    const out: string[] = []
    for (const node of this.state.ratchetTree) {
      if (node?.nodeType === 'leaf') out.push(credentialName(node.leaf.credential) ?? '?')
    }
    return out
  }

  private leafOf (name: string): number | undefined {
    const tree = this.state.ratchetTree
    for (let i = 0; i < tree.length; i += 2) {
      const node = tree[i]
      if (node?.nodeType === 'leaf' && credentialName(node.leaf.credential) === name) return i / 2
    }
    return undefined
  }

  private checkActive (): void {
    if (!this.active) throw new ChannelClosedError(`${this.self} is no longer a member of ${this.groupId}`, 'removed')
  }

  /** Seals an application message at the current epoch; returns the encoded MLSMessage. */
  async seal (data: Uint8Array): Promise<Uint8Array> {
    this.checkActive()
    const sealed = await createApplicationMessage(this.state, data, this.cs)
    this.state = sealed.newState
    for (const c of sealed.consumed) zeroOutUint8Array(c)
    return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: sealed.privateMessage })
  }

  /**
   * Opens an application message. With `keep: false` it is a trial: the state (and its
   * key ratchets) is left as it was, and no key is used up.
   */
  async open (bytes: Uint8Array, options: { keep?: boolean } = {}): Promise<Opened> {
    let pm
    try {
      pm = decodeMlsMessageAs(bytes, 'mls_private_message').privateMessage
    } catch (cause) {
      throw new InvalidChannelMessageError(`channel message is not an MLS PrivateMessage: ${describe(cause)}`, { cause })
    }
    const state = this.state
    if (!equalBytes(pm.groupId, state.groupContext.groupId)) throw new MessageRejectedError(`message is for another group than ${this.groupId}`)
    if (pm.contentType !== 'application') throw new MessageRejectedError(`a ${pm.contentType} message came as channel data; handshake messages come as commits`)
    const current = pm.epoch === state.groupContext.epoch
    const past = current ? undefined : state.historicalReceiverData.get(pm.epoch)
    if (!current && past == null) {
      throw new MessageRejectedError(pm.epoch > state.groupContext.epoch
        ? `message from epoch ${pm.epoch}, ahead of this member's epoch ${state.groupContext.epoch}`
        : `message from epoch ${pm.epoch}, whose keys are gone (this member is at epoch ${state.groupContext.epoch} and keeps ${this.retention.epochs} old epoch(s))`)
    }
    const r = past ?? { senderDataSecret: state.keySchedule.senderDataSecret, secretTree: state.secretTree, ratchetTree: state.ratchetTree, groupContext: state.groupContext }
    let result
    try {
      result = await unprotectPrivateMessage(r.senderDataSecret, pm, r.secretTree, r.ratchetTree, r.groupContext, state.clientConfig.keyRetentionConfig, this.cs)
    } catch (err) {
      throw mlsFailure(err, this.auth, `cannot open message of epoch ${pm.epoch}`)
    }
    const content = result.content.content
    if (content.contentType !== 'application') throw new MessageRejectedError(`a ${content.contentType} came as channel data`)
    if (content.sender.senderType !== 'member') throw new MessageRejectedError(`application message from a ${content.sender.senderType} sender`)
    const leaf = r.ratchetTree[content.sender.leafIndex * 2]
    const sender = leaf?.nodeType === 'leaf' ? credentialName(leaf.leaf.credential) : undefined
    if (sender == null) throw new MessageRejectedError(`application message from leaf ${content.sender.leafIndex}, which holds no member`)
    if (options.keep !== false && this.state === state) {
      if (past != null) {
        const hist = new Map(state.historicalReceiverData)
        hist.set(pm.epoch, { ...past, secretTree: result.tree })
        this.state = { ...state, historicalReceiverData: hist }
      } else {
        this.state = { ...state, secretTree: result.tree }
      }
      for (const c of result.consumed) zeroOutUint8Array(c)
    }
    return { data: content.applicationData, sender, epoch: Number(pm.epoch) }
  }

  /** Builds a commit adding the holder of `keyPackageBytes`; checks its credential first. */
  async buildAdd (keyPackageBytes: Uint8Array): Promise<PendingCommit> {
    this.checkActive()
    const { keyPackage, name } = decodeKeyPackage(keyPackageBytes)
    if (keyPackage.cipherSuite !== this.suite) throw new UnsupportedChannelSuiteError(`key package of ${name} is for ${keyPackage.cipherSuite}; this channel uses ${this.suite}`)
    if (this.leafOf(name) !== undefined) throw new AlreadyMemberError(`${name} is already a member of ${this.groupId}`)
    return await this.build('add', [{ proposalType: 'add', add: { keyPackage } }], { joiner: name })
  }

  /** Builds one commit adding several members (one Welcome for all of them). */
  async buildAddAll (keyPackages: Uint8Array[]): Promise<PendingCommit> {
    this.checkActive()
    const proposals: Proposal[] = []
    const names = new Set<string>()
    for (const bytes of keyPackages) {
      const { keyPackage, name } = decodeKeyPackage(bytes)
      if (keyPackage.cipherSuite !== this.suite) throw new UnsupportedChannelSuiteError(`key package of ${name} is for ${keyPackage.cipherSuite}; this channel uses ${this.suite}`)
      if (this.leafOf(name) !== undefined || names.has(name)) throw new AlreadyMemberError(`${name} is already a member of ${this.groupId}, or named twice`)
      names.add(name)
      proposals.push({ proposalType: 'add', add: { keyPackage } })
    }
    return await this.build('add', proposals, {})
  }

  /** Builds a commit removing `name` (its leaf is blanked and every path key rotated). */
  async buildRemove (name: string): Promise<PendingCommit> {
    this.checkActive()
    const leaf = this.leafOf(name)
    if (leaf === undefined) throw new MemberNotFoundError(`${name} is not a member of ${this.groupId}`)
    if (name === this.self) throw new MemberNotFoundError(`a member cannot remove itself by commit (RFC 9420 section 12.2); use leave()`)
    return await this.build('remove', [{ proposalType: 'remove', remove: { removed: leaf } }], { removed: name })
  }

  /** Builds an empty commit with an update path: new leaf and path keys (post-compromise security, RFC 9420 section 12.4). */
  async buildUpdate (): Promise<PendingCommit> {
    this.checkActive()
    return await this.build('update', [], {})
  }

  private async build (kind: CommitKind, proposals: Proposal[], extra: { joiner?: string, removed?: string }): Promise<PendingCommit> {
    let r
    try {
      r = await createCommit({ state: this.state, cipherSuite: this.cs }, { extraProposals: proposals, ratchetTreeExtension: true })
    } catch (err) {
      throw mlsFailure(err, this.auth, `cannot build the ${kind} commit`, CommitFailedError)
    }
    return {
      kind,
      epoch: this.epoch,
      bytes: encodeMlsMessage(r.commit),
      welcome: r.welcome != null ? encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: r.welcome }) : undefined,
      newState: r.newState,
      consumed: r.consumed,
      ...extra
    }
  }

  /** Adopts a commit of ours that the sequencer ordered. */
  applyOwn (p: PendingCommit): CommitApplied {
    if (p.epoch !== this.epoch) throw new CommitFailedError(`own commit was built on epoch ${p.epoch}, the group is at ${this.epoch}`)
    const before = this.members
    const old = this.state
    // Receiving keys of the old epoch as they are now (messages opened since the commit was built).
    const hist = new Map(p.newState.historicalReceiverData)
    const prev = hist.get(old.groupContext.epoch)
    if (prev != null) hist.set(old.groupContext.epoch, { ...prev, secretTree: old.secretTree })
    this.state = { ...p.newState, historicalReceiverData: hist }
    this.trim()
    for (const c of p.consumed) zeroOutUint8Array(c)
    return this.diff(before)
  }

  /** Applies a commit another member made, as ordered by the sequencer. */
  async applyCommit (bytes: Uint8Array): Promise<CommitApplied> {
    this.checkActive()
    let pm
    try {
      pm = decodeMlsMessageAs(bytes, 'mls_private_message').privateMessage
    } catch (cause) {
      throw new InvalidChannelMessageError(`commit is not an MLS PrivateMessage: ${describe(cause)}`, { cause })
    }
    if (!equalBytes(pm.groupId, this.state.groupContext.groupId)) throw new MessageRejectedError(`commit is for another group than ${this.groupId}`)
    if (pm.contentType !== 'commit') throw new MessageRejectedError(`a ${pm.contentType} message came as a commit`)
    if (pm.epoch !== this.state.groupContext.epoch) throw new MessageRejectedError(`commit built on epoch ${pm.epoch}; this member is at epoch ${this.state.groupContext.epoch} (replayed or stale)`)
    const before = this.members
    let r
    try {
      r = await processPrivateMessage(this.state, pm, makePskIndex(this.state, {}), this.cs)
    } catch (err) {
      throw mlsFailure(err, this.auth, `cannot apply the commit of epoch ${pm.epoch}`)
    }
    if (r.kind !== 'newState') throw new MessageRejectedError('an application message came as a commit')
    this.state = r.newState
    this.trim()
    for (const c of r.consumed) zeroOutUint8Array(c)
    return this.diff(before)
  }

  private diff (before: string[]): CommitApplied {
    const after = this.members
    return {
      epoch: this.epoch,
      added: after.filter(m => !before.includes(m)),
      removed: before.filter(m => !after.includes(m)),
      selfRemoved: !this.active
    }
  }

  /** Keeps only the newest `retention.epochs` old epochs' receiving keys. */
  private trim (): void {
    const hist = this.state.historicalReceiverData
    if (hist.size <= this.retention.epochs) return
    const keep = [...hist.keys()].sort((a, b) => (a < b ? -1 : 1)).slice(hist.size - this.retention.epochs)
    const next = new Map()
    for (const e of keep) next.set(e, hist.get(e))
    for (const [e, data] of hist) {
      if (!next.has(e)) { zeroOutUint8Array(data.senderDataSecret); zeroOutUint8Array(data.resumptionPsk) }
    }
    this.state = { ...this.state, historicalReceiverData: next }
  }
}
