/**
 * The mesh's desired state: one document per generation, written by the controller and
 * signed with the mesh authority's key (a JWS, RFC 7515, EdDSA through `jose`), so a
 * relay applies only what the authority it trusts signed, whoever carried it. It holds
 * the roster of relays, the links the topology manager planned, external issuers,
 * revocations, per-name policies and relay settings. `generation` counts up by one at
 * every change; `hash` (SHA-256 of the signed bytes) names one exact document.
 */
import { createHash } from 'node:crypto'
import { CompactSign, compactVerify, importJWK } from 'jose'
import type { CryptoKey } from 'jose'
import { z } from 'zod'
import { ALG } from '../trust/keys.js'
import type { Authority, AuthorityPublic } from '../trust/keys.js'
import { parsePattern } from '../trust/patterns.js'
import type { ExternalIssuer } from '../trust/verifier.js'
import type { LinkPair, TopologySpec } from './types.js'
import { DesiredStateError } from './errors.js'

export const STATE_TYP = 'slim-state+jws'

/** What a per-name policy can refuse. */
export const POLICY_ACTIONS = ['subscribe', 'serve', 'publish'] as const
export type PolicyAction = typeof POLICY_ACTIONS[number]

/**
 * A per-name rule every relay enforces (on top of each agent's grants, which it can only
 * narrow): refuse some actions on `names` to the agents of `agents`, limit how fast they
 * publish, and carry what the sequencers of those names keep (retention, quotas,
 * replication: read by the failover issue's sequencers).
 */
export interface NamePolicy {
  /** Stable id: how relays report it and operators remove it. */
  id: string
  /** The names it covers: a pattern (`acme/secret/**`). */
  names: string
  /** Whose actions: a pattern of agent services (default every agent, `**`). */
  agents?: string
  deny?: PolicyAction[]
  /** Publishes per second per agent (with a burst of up to `burst`, default one second's worth). */
  rateLimit?: { perSecond: number, burst?: number }
  /** What the archive of each covered name keeps at most: messages, age, bytes (the oldest are trimmed). */
  retention?: { messages?: number, seconds?: number, bytes?: number }
  quota?: { bytesPerSecond?: number, messagesPerSecond?: number }
  replication?: number
  /** Why it is there, in words (an alert's reason, an operator's note). */
  reason?: string
  /** Ms since the epoch after which it no longer applies (an alert's action lasts a while). */
  until?: number
}

/** A relay told to take no new sessions (its own stay) until `until`: an alert's `drain` action, or an operator's. */
export interface Drain {
  peerId: string
  reason: string
  /** Ms since the epoch. */
  until: number
}

export interface RosterEntry {
  peerId: string
  addrs: string[]
  role: 'member' | 'border'
  /** Heartbeating (not marked down by the controller). */
  up: boolean
}

export interface DesiredState {
  mesh: string
  generation: number
  /** Ms since the epoch. */
  issuedAt: number
  relays: RosterEntry[]
  topology: TopologySpec
  links: LinkPair[]
  issuers: ExternalIssuer[]
  revocations: string[]
  policies: NamePolicy[]
  drains: Drain[]
  /** Relay settings (`announceIntervalMs`, limits): applied with `relay.configure`. */
  relayConfig: Record<string, number | boolean | string>
  /** How often relays heartbeat, ms. */
  heartbeatMs: number
}

const pattern = z.string().refine(p => { try { parsePattern(p); return true } catch { return false } }, { message: 'not a name pattern (org/namespace/service with * and a trailing **)' })
export const namePolicySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a policy id is 1 to 63 characters of a-z 0-9 . _ -'),
  names: pattern,
  agents: pattern.optional(),
  deny: z.array(z.enum(POLICY_ACTIONS)).optional(),
  rateLimit: z.object({ perSecond: z.number().positive(), burst: z.number().positive().optional() }).optional(),
  retention: z.object({ messages: z.number().int().positive().optional(), seconds: z.number().positive().optional(), bytes: z.number().int().positive().optional() }).optional(),
  quota: z.object({ bytesPerSecond: z.number().positive().optional(), messagesPerSecond: z.number().positive().optional() }).optional(),
  replication: z.number().int().min(1).max(7).optional(),
  reason: z.string().max(500).optional(),
  until: z.number().optional()
}).strict()

const pair = z.tuple([z.string(), z.string()])
export const topologySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('full') }),
  z.object({ kind: z.literal('star'), hub: z.string().optional() }),
  z.object({ kind: z.literal('line') }),
  z.object({ kind: z.literal('pairs'), pairs: z.array(pair) }),
  z.object({ kind: z.literal('computed'), degree: z.number().int().min(2).max(64).optional() })
])

const stateSchema = z.object({
  mesh: z.string(),
  generation: z.number().int().nonnegative(),
  issuedAt: z.number(),
  relays: z.array(z.object({ peerId: z.string(), addrs: z.array(z.string()), role: z.enum(['member', 'border']), up: z.boolean() })),
  topology: topologySchema,
  links: z.array(pair),
  issuers: z.array(z.object({ prefix: z.string(), jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), issuer: z.string().optional(), grants: z.record(z.string(), z.unknown()).optional(), nameClaim: z.string().optional() })),
  revocations: z.array(z.string()),
  policies: z.array(namePolicySchema),
  drains: z.array(z.object({ peerId: z.string(), reason: z.string().max(1000), until: z.number() })).default([]),
  relayConfig: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
  heartbeatMs: z.number().positive()
})

/** A document as relays receive it: the JWS, and what it says. */
export interface SignedState {
  jws: string
  state: DesiredState
  /** SHA-256 of the signed payload, hex. */
  hash: string
}

function hashOf (payload: Uint8Array): string { return createHash('sha256').update(payload).digest('hex') }

export async function signState (authority: Authority, state: DesiredState): Promise<SignedState> {
  const payload = new TextEncoder().encode(JSON.stringify(state))
  const jws = await new CompactSign(payload).setProtectedHeader({ alg: ALG, typ: STATE_TYP, kid: authority.kid }).sign(authority.privateKey)
  return { jws, state, hash: hashOf(payload) }
}

const keys = new Map<string, Promise<CryptoKey>>()

/** Checks a document against the mesh authority: its signature, its kind, its mesh, its shape. */
export async function verifyState (jws: string, authority: AuthorityPublic): Promise<SignedState> {
  let key = keys.get(authority.mesh)
  if (key == null) { key = importJWK(authority.jwk, ALG) as Promise<CryptoKey>; keys.set(authority.mesh, key) }
  let verified: Awaited<ReturnType<typeof compactVerify>>
  try {
    verified = await compactVerify(jws, await key, { algorithms: [ALG] })
  } catch (err) {
    throw new DesiredStateError(`the desired state is not signed by this mesh's authority (${authority.mesh}): ${(err as Error).message}`, { cause: err })
  }
  if (verified.protectedHeader.typ !== STATE_TYP) throw new DesiredStateError(`a ${String(verified.protectedHeader.typ)} is not a desired state (${STATE_TYP})`)
  let raw: unknown
  try { raw = JSON.parse(new TextDecoder().decode(verified.payload)) } catch (err) { throw new DesiredStateError('the desired state is not JSON', { cause: err }) }
  const parsed = stateSchema.safeParse(raw)
  if (!parsed.success) throw new DesiredStateError(`the desired state does not parse: ${parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  const state = parsed.data as DesiredState
  if (state.mesh !== authority.mesh) throw new DesiredStateError(`the desired state is for mesh ${state.mesh}, not ${authority.mesh}`)
  return { jws, state, hash: hashOf(verified.payload) }
}

/** What changed between two documents apart from their generation and time: whether a new generation is due. */
export function sameContent (a: DesiredState, b: Omit<DesiredState, 'generation' | 'issuedAt'>): boolean {
  // Keys sorted: a state read back from its JWS has the schema's key order, not the order it was built in.
  const canonical = (v: unknown): unknown => Array.isArray(v) ? v.map(canonical) : v != null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([x], [y]) => x < y ? -1 : x > y ? 1 : 0).map(([k, x]) => [k, canonical(x)])) : v
  const strip = (s: Partial<DesiredState>): string => JSON.stringify(canonical({ ...s, generation: 0, issuedAt: 0 }))
  return strip(a) === strip(b as DesiredState)
}
