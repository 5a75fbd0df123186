/**
 * The model of MLS the channel simulation's members hold (./channel-member.ts): what a
 * modelled commit and Welcome carry, an epoch's roster, and their encoding. A member's
 * epoch state is a hash chain over the commits it applied (state(n+1) = SHA-256(state(n),
 * commit bytes)), standing for MLS's epoch secrets: equal states at an epoch mean the
 * same commits in the same order.
 */
import type { ChannelRoles } from '../src/channel/roles.js'
import type { CommitKind } from '../src/machines/channel.machine.js'

/** An epoch's group: its members in join order and its roles. */
export interface Roster { members: string[], set: Set<string>, roles: ChannelRoles }

/** What a modelled commit carries (its bytes are what the hash chain hashes). */
export interface ModelCommit {
  /** The recorder's ticket of the request. */
  t: number
  k: CommitKind
  by: string
  /** Built on this epoch and state. */
  on: number
  h: string
  add?: string[]
  rm?: string[]
  roles?: ChannelRoles
  /** Distinct per attempt. */
  n: number
}

/** A modelled Welcome: the epoch and state it joins (the roster is the state's: the ratchet tree it carries). */
export interface ModelWelcome { epoch: number, hash: string, seq: number, wireEpoch: number }

const enc = new TextEncoder()
const dec = new TextDecoder()

export const encodeJson = (v: unknown): Uint8Array<ArrayBuffer> => enc.encode(JSON.stringify(v)) as Uint8Array<ArrayBuffer>
export const decodeJson = <T>(b: Uint8Array): T => JSON.parse(dec.decode(b)) as T
