/**
 * One channel's MLS group state and what can be done with it, without I/O: seal and
 * open application messages, build commits (add, remove, self-update), apply the
 * commits the sequencer ordered, join from a Welcome, save and restore.
 *
 * Everything that can fail on input from the network fails with a typed error from
 * ./errors.ts (ts-mls throws its own MlsError subclasses and sometimes plain TypeErrors;
 * none of those escape). The key retention window (forward secrecy) is enforced here,
 * not left to ts-mls: see KeyRetention.
 *
 * Its configuration (LocalMember, KeyRetention) is in ./group-config.ts, key package and
 * Welcome handling in ./mls-codec.ts, and the commit summary a member inspects in
 * ./commit-summary.ts.
 */
import {
  createApplicationMessage, createCommit, createGroup, decodeGroupState, encodeGroupState, encodeMlsMessage,
  joinGroup, makePskIndex, processPrivateMessage, zeroOutUint8Array
} from 'ts-mls'
import type { CiphersuiteImpl, CiphersuiteName, ClientState, IncomingMessageCallback, KeyPackage, PrivateKeyPackage, Proposal, Welcome } from 'ts-mls'
import { unprotectPrivateMessage } from 'ts-mls/messageProtection.js'
import { decodeExactly, decodeMlsMessageAs } from '../mls/decode.js'
import { summarize } from './commit-summary.js'
import type { CommitInspector } from './commit-summary.js'
import { credentialJwt, credentialName, MemberAuthenticationService } from './credentials.js'
import {
  AlreadyMemberError, ChannelClosedError, CommitFailedError, CommitRefusedError, CorruptChannelStateError, CredentialMismatchError,
  InvalidChannelMessageError, MemberNotFoundError, MessageRejectedError, UnsupportedChannelSuiteError
} from './errors.js'
import { checkRetention, clientConfig, DEFAULT_KEY_RETENTION } from './group-config.js'
import type { KeyRetention, LocalMember } from './group-config.js'
import type { MemberTrust } from './member-trust.js'
import { decodeKeyPackage, describe, equalBytes, makeKeyPackage, mlsFailure, rolesExtension } from './mls-codec.js'
import { decodeRoles, ROLES_EXTENSION } from './roles.js'
import type { ChannelRoles, DiscoveryPolicy } from './roles.js'
import { suiteImpl } from './suites.js'

// Re-exported for the modules and tests that import them from here.
export { DEFAULT_KEY_RETENTION } from './group-config.js'
export type { KeyRetention, LocalMember } from './group-config.js'
export { decodeKeyPackage, decodeWelcome, makeKeyPackage, makeKeyPackageRef, welcomeRecipients } from './mls-codec.js'
export type { CommitInspector } from './commit-summary.js'

export interface Opened {
  data: Uint8Array
  /** The sender's agent name, from its MLS credential (not from the relay). */
  sender: string
  epoch: number
}

export type CommitKind = 'add' | 'remove' | 'update' | 'roles'

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
  /** For adds and removes: who is added or removed. */
  added?: string[]
  removed?: string[]
  /** For a roles change: the roles it sets. */
  roles?: ChannelRoles
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

const enc = new TextEncoder()

export class MlsGroup {
  readonly suite: CiphersuiteName
  readonly self: string
  readonly retention: KeyRetention
  private state: ClientState
  private readonly cs: CiphersuiteImpl
  private readonly auth: MemberAuthenticationService

  private constructor (state: ClientState, cs: CiphersuiteImpl, suite: CiphersuiteName, self: string, auth: MemberAuthenticationService, retention: KeyRetention) {
    this.state = state
    this.cs = cs
    this.suite = suite
    this.self = self
    this.auth = auth
    this.retention = retention
  }

  /**
   * A new group with `member` as its only member, epoch 0 (RFC 9420 section 11); its
   * group context holds the roles, `member` as owner. With `trust`, every credential
   * met is checked against the mesh authority. `discovery`: the channel's discovery
   * policy, kept with the roles (./roles.ts).
   */
  static async create (groupId: string, member: LocalMember, suite: CiphersuiteName, retention: KeyRetention = DEFAULT_KEY_RETENTION, trust?: MemberTrust, discovery?: DiscoveryPolicy): Promise<MlsGroup> {
    const cs = await suiteImpl(suite)
    const auth = new MemberAuthenticationService(trust)
    const kp = await makeKeyPackage(member, suite)
    const state = await createGroup(enc.encode(groupId), kp.publicPackage, kp.privatePackage, [rolesExtension({ owner: member.name, admins: [], discovery })], cs, clientConfig(auth, checkRetention(retention)))
    return new MlsGroup(state, cs, suite, member.name, auth, retention)
  }

  /** Joins from a Welcome addressed to `keyPackage` (the tree comes in the Welcome's ratchet_tree extension). */
  static async join (welcome: Welcome, keyPackage: KeyPackage, privatePackage: PrivateKeyPackage, self: string, retention: KeyRetention = DEFAULT_KEY_RETENTION, trust?: MemberTrust): Promise<MlsGroup> {
    const suite = keyPackage.cipherSuite
    if (welcome.cipherSuite !== suite) throw new UnsupportedChannelSuiteError(`Welcome is for ${welcome.cipherSuite}, the key package for ${suite}`)
    const cs = await suiteImpl(suite)
    const auth = new MemberAuthenticationService(trust)
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
  static async decode (bytes: Uint8Array, suite: CiphersuiteName, self: string, retention: KeyRetention = DEFAULT_KEY_RETENTION, trust?: MemberTrust): Promise<MlsGroup> {
    const cs = await suiteImpl(suite)
    const auth = new MemberAuthenticationService(trust)
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
    return this.leaves().map(l => l.name)
  }

  /** The roles in the group context (undefined for a group saved before channels had roles). */
  get roles (): ChannelRoles | undefined {
    const ext = this.state.groupContext.extensions.find(e => e.extensionType === ROLES_EXTENSION)
    return ext != null ? decodeRoles(ext.extensionData) : undefined
  }

  /** Whether members are checked against a mesh authority (trust on). */
  get trusted (): boolean { return this.auth.trust != null }

  /** Every member leaf: its agent name, index, signature key and (trust on) agent credential. */
  leaves (tree = this.state.ratchetTree): Array<{ name: string, leaf: number, publicKey: Uint8Array, jwt?: string }> {
    const out = []
    for (let i = 0; i < tree.length; i += 2) {
      const node = tree[i]
      if (node?.nodeType !== 'leaf') continue
      const { credential, signaturePublicKey } = node.leaf
      out.push({ name: credentialName(credential, signaturePublicKey) ?? '?', leaf: i / 2, publicKey: signaturePublicKey, jwt: credentialJwt(credential) })
    }
    return out
  }

  /** Members whose agent credential fails the trust check now for `check` (e.g. `revoked`). */
  async membersFailing (check: string): Promise<string[]> {
    const trust = this.auth.trust
    if (trust == null) return []
    const out: string[] = []
    for (const l of this.leaves()) {
      if (l.jwt == null) continue
      try { await trust.verify(l.jwt, l.publicKey) } catch (err) { if ((err as { check?: string }).check === check) out.push(l.name) }
    }
    return out
  }

  private leafOf (name: string): number | undefined {
    return this.leaves().find(l => l.name === name)?.leaf
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
    const sender = leaf?.nodeType === 'leaf' ? credentialName(leaf.leaf.credential, leaf.leaf.signaturePublicKey) : undefined
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
    await this.checkJoiner(keyPackage, name)
    return await this.build('add', [{ proposalType: 'add', add: { keyPackage } }], { joiner: name, added: [name] })
  }

  /** The full credential check of a key package to add (trust on: its agent credential), before any commit is built. */
  private async checkJoiner (keyPackage: KeyPackage, name: string): Promise<void> {
    try {
      await this.auth.check(keyPackage.leafNode.credential, keyPackage.leafNode.signaturePublicKey)
    } catch (err) {
      throw new CredentialMismatchError(`cannot add ${name} to ${this.groupId}: ${(err as Error).message}`, { cause: err, check: (err as CredentialMismatchError).check })
    } finally {
      this.auth.lastRefusal = undefined
    }
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
      await this.checkJoiner(keyPackage, name)
      names.add(name)
      proposals.push({ proposalType: 'add', add: { keyPackage } })
    }
    return await this.build('add', proposals, { added: [...names] })
  }

  /** Builds one commit removing `names` (their leaves are blanked and every path key rotated). */
  async buildRemove (names: string | string[]): Promise<PendingCommit> {
    this.checkActive()
    const list = [...new Set(typeof names === 'string' ? [names] : names)]
    if (list.length === 0) throw new MemberNotFoundError(`a remove commit names at least one member of ${this.groupId}`)
    const proposals: Proposal[] = []
    for (const name of list) {
      const leaf = this.leafOf(name)
      if (leaf === undefined) throw new MemberNotFoundError(`${name} is not a member of ${this.groupId}`)
      if (name === this.self) throw new MemberNotFoundError(`a member cannot remove itself by commit (RFC 9420 section 12.2); use leave()`)
      proposals.push({ proposalType: 'remove', remove: { removed: leaf } })
    }
    return await this.build('remove', proposals, { removed: list })
  }

  /**
   * With trust on, this member's own leaf credential must still pass before it commits:
   * the others check it (an update path carries it), and a commit every other member
   * refuses while this one adopts it would fork the channel. A credential carried in the
   * tree is the one the member joined with (ts-mls 1.6.4 cannot put a fresh one in a
   * commit), so one that expired or was revoked ends this member's commits here.
   */
  private async checkOwnLeaf (kind: CommitKind): Promise<void> {
    if (this.auth.trust == null) return
    const own = this.leaves().find(l => l.leaf === Number(this.state.privatePath.leafIndex))
    const node = own != null ? this.state.ratchetTree[own.leaf * 2] : undefined
    if (node?.nodeType !== 'leaf') return
    try {
      await this.auth.check(node.leaf.credential, node.leaf.signaturePublicKey)
    } catch (err) {
      throw new CredentialMismatchError(`cannot build the ${kind} commit: this member's own credential in ${this.groupId} no longer passes (${(err as Error).message})`, { cause: err, check: (err as CredentialMismatchError).check })
    } finally {
      this.auth.lastRefusal = undefined
    }
  }

  /** Builds a commit setting the roles (a GroupContextExtensions proposal; the other extensions stay). */
  async buildRoles (roles: ChannelRoles): Promise<PendingCommit> {
    this.checkActive()
    const others = this.state.groupContext.extensions.filter(e => e.extensionType !== ROLES_EXTENSION)
    const proposal: Proposal = { proposalType: 'group_context_extensions', groupContextExtensions: { extensions: [...others, rolesExtension(roles)] } }
    return await this.build('roles', [proposal], { roles })
  }

  /** Builds an empty commit with an update path: new leaf and path keys (post-compromise security, RFC 9420 section 12.4). */
  async buildUpdate (): Promise<PendingCommit> {
    this.checkActive()
    return await this.build('update', [], {})
  }

  private async build (kind: CommitKind, proposals: Proposal[], extra: { joiner?: string, added?: string[], removed?: string[], roles?: ChannelRoles }): Promise<PendingCommit> {
    await this.checkOwnLeaf(kind)
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

  /**
   * Applies a commit another member made, as ordered by the sequencer. `inspect` is
   * shown what the commit does (committer, adds, removes, roles) before anything is
   * applied; a reason from it refuses the commit (CommitRefusedError) and the group
   * stays at its epoch.
   */
  async applyCommit (bytes: Uint8Array, inspect?: CommitInspector): Promise<CommitApplied> {
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
    const tree = this.state.ratchetTree
    const oldExtensions = this.state.groupContext.extensions
    let refused: { reason: string, committer: string } | undefined
    const callback: IncomingMessageCallback = (incoming) => {
      if (inspect == null || incoming.kind !== 'commit') return 'accept'
      const summary = summarize(incoming.senderLeafIndex, incoming.proposals.map(p => p.proposal), tree, oldExtensions, Number(pm.epoch), l => this.leaves(l))
      const reason = inspect(summary)
      if (reason == null) return 'accept'
      refused = { reason, committer: summary.committer }
      return 'reject'
    }
    let r
    try {
      r = await processPrivateMessage(this.state, pm, makePskIndex(this.state, {}), this.cs, callback)
    } catch (err) {
      throw mlsFailure(err, this.auth, `cannot apply the commit of epoch ${pm.epoch}`)
    }
    if (r.kind !== 'newState') throw new MessageRejectedError('an application message came as a commit')
    if (refused != null || r.actionTaken === 'reject') {
      // Nothing is adopted, so nothing is zeroed: the consumed secrets are still the current state's.
      throw new CommitRefusedError(`refused the commit of epoch ${pm.epoch} from ${refused?.committer ?? '?'}: ${refused?.reason ?? 'rejected'}`, refused?.committer ?? '?')
    }
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
